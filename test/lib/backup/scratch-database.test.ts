import {expect} from 'chai'
import {hostname} from 'node:os'
import type pg from 'pg'

import {createScratchDatabase, scratchDatabaseName} from '../../../src/lib/backup/scratch-database.js'
import {connectTarget} from '../../../src/lib/db/connect.js'
import {AuthError} from '../../../src/lib/errors.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {deadPid} from '../process/support.js'

describe('lib/backup/scratch-database: the scratch databases of restore tests on a named server (--target-url)', () => {
  let sandbox: TestSandbox
  let admin: pg.Client
  before(async () => {
    sandbox = await useSandbox()
  })
  beforeEach(async () => {
    admin = await sandbox.db()
  })
  afterEach(async () => {
    const {rows} = await admin.query<{datname: string}>("SELECT datname FROM pg_database WHERE datname LIKE 'kasmctl\\_verify\\_%'")
    for (const {datname} of rows) await admin.query(`DROP DATABASE "${datname}" WITH (FORCE)`)
    await admin.end()
  })

  /** The scratch databases on the server, with their owners' pids (null: no owner in the comment). */
  async function scratchDatabases(): Promise<Record<string, null | number>> {
    const {rows} = await admin.query<{comment: null | string; datname: string}>(
      "SELECT datname, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname LIKE 'kasmctl\\_verify\\_%'",
    )
    return Object.fromEntries(rows.map((row) => [row.datname, row.comment ? (JSON.parse(row.comment) as {pid: number}).pid : null]))
  }

  async function leftBy(owner: {hostname: string; pid: number} | undefined): Promise<string> {
    const database = scratchDatabaseName()
    await admin.query(`CREATE DATABASE ${database}`)
    if (owner) await admin.query(`COMMENT ON DATABASE ${database} IS ${admin.escapeLiteral(JSON.stringify({...owner, purpose: 'backup verify --restore-test', startedAt: new Date().toISOString()}))}`)
    return database
  }

  it('names this run as the owner of the database it creates', async () => {
    const database = scratchDatabaseName()
    await createScratchDatabase(admin, database, {server: 'db:5432'})
    const {rows} = await admin.query("SELECT shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE datname = $1", [database])
    expect(JSON.parse(rows[0].comment)).to.include({hostname: hostname(), pid: process.pid, purpose: 'backup verify --restore-test'})
  })

  it('first drops those of a run on this machine that was killed, and says so; leaves the rest', async () => {
    const killed = deadPid()
    const abandoned = await leftBy({hostname: hostname(), pid: killed})
    const running = await leftBy({hostname: hostname(), pid: process.pid})
    const elsewhere = await leftBy({hostname: 'another-host.example', pid: killed})
    const unowned = await leftBy(undefined)

    const warnings: string[] = []
    const database = scratchDatabaseName()
    await createScratchDatabase(admin, database, {onWarning: (message) => warnings.push(message), server: 'db:5432'})
    expect(warnings).to.deep.equal([`dropped database ${abandoned} on db:5432, the scratch database of a restore test whose kasmctl (pid ${killed}) was killed`])
    expect(await scratchDatabases()).to.deep.equal({[database]: process.pid, [elsewhere]: killed, [running]: process.pid, [unowned]: null})
  })
  it('one another role owns is left, named with the command that drops it, and the restore test goes on', async () => {
    const killed = deadPid()
    const abandoned = await leftBy({hostname: hostname(), pid: killed})
    const {kasmappPassword, port} = sandbox.state.postgres
    const kasmapp = await connectTarget({database: 'kasm', host: '127.0.0.1', password: kasmappPassword, port, source: 'test', sslmode: 'disable', user: 'kasmapp'})
    try {
      const warnings: string[] = []
      const database = scratchDatabaseName()
      await createScratchDatabase(kasmapp, database, {onWarning: (message) => warnings.push(message), server: 'db:5432'})
      expect(warnings).to.deep.equal([
        `could not drop database ${abandoned} on db:5432, the scratch database of a restore test whose kasmctl (pid ${killed}) was killed: must be owner of database ${abandoned}; drop it as its owner: DROP DATABASE "${abandoned}"`,
      ])
      expect(await scratchDatabases()).to.deep.equal({[abandoned]: killed, [database]: process.pid})
    } finally {
      await kasmapp.end()
    }
  })
  it('a role that may not create databases is refused, naming the role and what it lacks, before anything is dropped', async () => {
    const abandoned = await leftBy({hostname: hostname(), pid: deadPid()})
    const {kasmappPassword, port} = sandbox.state.postgres
    await admin.query('ALTER ROLE kasmapp NOCREATEDB')
    const kasmapp = await connectTarget({database: 'kasm', host: '127.0.0.1', password: kasmappPassword, port, source: 'test', sslmode: 'disable', user: 'kasmapp'})
    try {
      const refused = await createScratchDatabase(kasmapp, scratchDatabaseName(), {server: 'db:5432'}).catch((error: Error) => error)
      expect(refused).to.be.instanceOf(AuthError)
      expect((refused as AuthError).message).to.equal(
        'role kasmapp on db:5432 may not create the scratch database: it lacks CREATEDB and is not SUPERUSER; give --target-url a role that has one',
      )
      expect(Object.keys(await scratchDatabases())).to.deep.equal([abandoned])
    } finally {
      await kasmapp.end()
      await admin.query('ALTER ROLE kasmapp CREATEDB')
    }
  })
})
