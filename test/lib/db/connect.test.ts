import {expect} from 'chai'

import type {ContextConfig} from '../../../src/lib/config/types.js'
import {connectDatabase} from '../../../src/lib/db/connect.js'
import {findHost} from '../../../src/lib/db/target.js'
import {AuthError, ConfigError, NotFoundError, UnavailableError} from '../../../src/lib/errors.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {startSshd} from '../../helpers/sshd.js'
import {freePorts} from '../../../src/lib/net.js'

describe('lib/db/connect', () => {
  let sandbox: TestSandbox
  let port: number

  before(async () => {
    sandbox = await useSandbox()
    port = sandbox.state.postgres.port
  })

  /** The sandbox context with another database URL (and password). */
  function withUrl(url: string, password = sandbox.state.postgres.kasmappPassword, caFile?: string): ContextConfig {
    return {...sandbox.context, database: {caFile, password: {value: password}, url}}
  }

  async function failure(context: ContextConfig): Promise<Error & {exitCode?: number; hint?: string}> {
    try {
      const db = await connectDatabase(context)
      await db.end()
    } catch (error) {
      return error as Error
    }

    throw new Error('expected the connection to fail')
  }

  it("connects with the context's database settings, encrypted as Kasm's database requires", async () => {
    const db = await connectDatabase(sandbox.context)
    try {
      const {rows} = await db.query('SELECT current_user AS user, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
      expect(rows[0]).to.deep.equal({ssl: true, user: 'kasmapp'})
    } finally {
      await db.end()
    }
  })

  it("reads the database: block of a web app host's api.app.config.yaml with --from-host", async () => {
    const db = await connectDatabase({...sandbox.context, database: undefined}, {fromHost: findHost(sandbox.context, 'webapp-1')})
    try {
      const {rows} = await db.query('SELECT current_user AS user, current_database() AS database, ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()')
      expect(rows[0]).to.deep.equal({database: 'kasm', ssl: true, user: 'kasmapp'})
    } finally {
      await db.end()
    }
  })

  it('reads that block over SSH when the host is remote (a real sshd on 127.0.0.1)', async () => {
    const sshd = await startSshd()
    try {
      const local = findHost(sandbox.context, 'webapp-1')
      const db = await connectDatabase({...sandbox.context, database: undefined}, {fromHost: sshd.host('webapp-1', {kasmRoot: local.kasmRoot})})
      try {
        const {rows} = await db.query('SELECT current_user AS user, current_database() AS database')
        expect(rows[0]).to.deep.equal({database: 'kasm', user: 'kasmapp'})
      } finally {
        await db.end()
      }

      const missing = await connectDatabase({...sandbox.context, database: undefined}, {fromHost: sshd.host('webapp-9', {kasmRoot: '/nonexistent/kasm'})}).then(
        () => undefined,
        (error: Error) => error,
      )
      expect(missing).to.be.instanceOf(NotFoundError)
      expect(missing!.message).to.equal('/nonexistent/kasm/current/conf/app/api.app.config.yaml does not exist on host webapp-9')
    } finally {
      await sshd.stop()
    }
  })

  it('verifies the server certificate against database.caFile with sslmode=verify-ca', async () => {
    const db = await connectDatabase(withUrl(`postgres://kasmapp@127.0.0.1:${port}/kasm?sslmode=verify-ca`, undefined, sandbox.state.tls.caFile))
    await db.end()
    const error = await failure(withUrl(`postgres://kasmapp@127.0.0.1:${port}/kasm?sslmode=verify-ca`))
    expect(error).to.be.instanceOf(ConfigError)
    expect(error.message).to.include('needs the CA')
  })

  it('names the host, port and database when the password is refused (exit 77)', async () => {
    const error = await failure(withUrl(`postgres://kasmapp@127.0.0.1:${port}/kasm?sslmode=require`, 'not-the-password'))
    expect(error).to.be.instanceOf(AuthError)
    expect(error.exitCode).to.equal(77)
    expect(error.message).to.include(`127.0.0.1:${port}`).and.include('database kasm').and.include('refused the password')
  })

  it('says when no password is configured', async () => {
    const error = await failure({...sandbox.context, database: {url: `postgres://kasmapp@127.0.0.1:${port}/kasm?sslmode=require`}})
    expect(error).to.be.instanceOf(AuthError)
    expect(error.message).to.include('none is configured')
  })

  it('names the address when nothing listens there (exit 69)', async () => {
    const closedPort = (await freePorts(1))[0]
    const error = await failure(withUrl(`postgres://kasmapp@127.0.0.1:${closedPort}/kasm?sslmode=require`))
    expect(error).to.be.instanceOf(UnavailableError)
    expect(error.exitCode).to.equal(69)
    expect(error.message).to.include(`127.0.0.1:${closedPort}`).and.include('connection refused')
  })

  it('names a database that does not exist', async () => {
    const error = await failure(withUrl(`postgres://kasmapp@127.0.0.1:${port}/kasm_missing?sslmode=require`))
    expect(error).to.be.instanceOf(UnavailableError)
    expect(error.message).to.include('database kasm_missing does not exist')
  })

  it('rejects an unknown sslmode and an unknown host name with the valid choices', async () => {
    const error = await failure(withUrl(`postgres://kasmapp@127.0.0.1:${port}/kasm?sslmode=maybe`))
    expect(error).to.be.instanceOf(ConfigError)
    expect(error.message).to.include('disable, prefer, require, verify-ca or verify-full')
    expect(() => findHost(sandbox.context, 'webapp-9')).to.throw(NotFoundError, 'no host named "webapp-9"')
  })
})
