import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {execa} from 'execa'
import {mkdir, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {stringify} from 'yaml'

import type {BackupCreateJson} from '../../../src/lib/backup/render.js'
import type {HostEntry} from '../../../src/lib/config/types.js'
import {kasmRoot, SINGLE_SERVER_HOST} from '../../../src/lib/sandbox/hosts.js'
import {runCli, startCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {createBackup, dockerStandIn, liveCounts, tempDir, waitFor} from './support.js'

describe('backup restore', function () {
  this.timeout(120_000)
  let sandbox: TestSandbox
  let dest: string
  let backup: BackupCreateJson

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
    dest = await tempDir()
    backup = await createBackup(sandbox, dest)
  })

  after(async () => {
    await rm(dest, {force: true, recursive: true})
    await sandbox.reset()
  })

  /** Every web app of the sandbox context answers its health check: Kasm runs (again). */
  async function expectWebappsHealthy(): Promise<void> {
    const client = await sandbox.client()
    try {
      for (const host of sandbox.context.hosts!.filter((h) => h.roles.includes('webapp'))) expect((await client.healthcheck(host.url)).ok, host.name).to.equal(true)
    } finally {
      client.close()
    }
  }

  it('--dry-run shows the plan (stop web apps, restore into staging, swap, start, health check) and changes nothing', async () => {
    const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--dry-run', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const plan = JSON.parse(result.stdout)
    expect(plan).to.include({database: 'kasm', dryRun: true, file: backup.file, via: 'local'})
    expect(plan.webapps).to.deep.equal(['webapp-1', 'webapp-2'])
    expect(plan.stagingDatabase).to.match(/^kasm_restore_\d{8}t\d{6}$/)
    expect(plan).to.include({adminUser: 'kasmapp'})
    expect(plan.databaseHosts).to.deep.equal([])
    expect(plan.steps[1]).to.equal('check that role kasmapp may drop and create databases (SUPERUSER, or CREATEDB and owner of kasm)')
    expect(plan.steps[2]).to.match(/^stop Kasm on webapp-1 \(local\): \S+\/hosts\/webapp-1\/opt\/kasm\/bin\/stop$/)
    expect(plan.steps.at(-1)).to.equal(`drop ${plan.previousDatabase} once the web apps are healthy`)
  })

  it('--latest restores the newest complete backup of the directory, and the plan names it; a FILE and --latest together are refused', async () => {
    const result = await runCli(['backup', 'restore', '--latest', '--dest', dest, '--via', 'local', '--dry-run', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout)).to.include({dryRun: true, file: backup.file})
    for (const argv of [[backup.path, '--latest', '--dest', dest], []]) {
      const refused = await runCli(['backup', 'restore', ...argv, '--via', 'local', '--dry-run', '--json'], {env: sandbox.env})
      expect(refused.exitCode, argv.join(' ')).to.equal(64)
      expect(JSON.parse(refused.stdout).error.message).to.match(argv.length > 0 ? /^name a backup FILE or pass --latest, not both/ : /^name a backup FILE, or pass --latest for the newest one/)
    }
  })

  it('--dry-run of a missing file, a directory or garbage is an error, as the real run would be, not a plan', async () => {
    const dir = await tempDir()
    try {
      const name = (stamp: string): string => `${dir}/kasm_db_sandbox_${stamp}.tar.zst`
      await mkdir(name('20260101T020000Z'))
      await writeFile(name('20260102T020000Z'), 'not an archive at all')
      await writeFile(`${name('20260102T020000Z')}.sha256`, `${createHash('sha256').update('not an archive at all').digest('hex')}  kasm_db_sandbox_20260102T020000Z.tar.zst\n`)
      for (const [path, exitCode, code, message] of [
        [name('20251231T020000Z'), 64, 'NOT_FOUND', `backup ${name('20251231T020000Z')} does not exist`],
        [name('20260101T020000Z'), 64, 'USAGE', `${name('20260101T020000Z')} is a directory, not a backup file`],
        [`${dir}/notes.txt`, 64, 'USAGE', `${dir}/notes.txt is not a kasmctl backup`],
        [name('20260102T020000Z'), 1, 'VERIFY_FAILED', 'kasm_db_sandbox_20260102T020000Z.tar.zst failed verification (archive: pg_restore cannot read the archive'],
      ] as const) {
        const result = await runCli(['backup', 'restore', path, '--via', 'local', '--dry-run', '--json'], {env: sandbox.env})
        expect(result.exitCode, path).to.equal(exitCode)
        const {error} = JSON.parse(result.stdout)
        expect(error.code, path).to.equal(code)
        expect(error.message).to.contain(message)
      }
    } finally {
      await rm(dir, {force: true, recursive: true})
    }
  })

  it('without --yes on a non-terminal refuses (exit 64, naming --yes) and changes nothing', async () => {
    const result = await runCli(['backup', 'restore', backup.path, '--via', 'local'], {env: sandbox.env})
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.contain('needs confirmation, and stdin is not a terminal').and.contain('--yes')
  })

  it('--yes restores the backup over changed data, restarts Kasm and checks its health', async () => {
    const before = await liveCounts(sandbox, ['logs', 'zones'])
    const admin = await sandbox.db()
    await admin.query('DELETE FROM logs WHERE log_id IN (SELECT log_id FROM logs LIMIT 5000)').finally(() => admin.end())

    const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--yes', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    expect(json).to.include({database: 'kasm', dryRun: false, previousKept: false})
    expect(json.health.map((h: {host: string; ok: boolean}) => [h.host, h.ok])).to.deep.equal([
      ['webapp-1', true],
      ['webapp-2', true],
    ])
    expect(await liveCounts(sandbox, ['logs', 'zones'])).to.deep.equal(before)

    const check = await sandbox.db()
    const databases = (await check.query<{datname: string}>("SELECT datname FROM pg_database WHERE datname LIKE 'kasm%' ORDER BY 1").finally(() => check.end())).rows
    expect(databases.map((d) => d.datname)).to.deep.equal(['kasm', 'kasm_seed'])
  })

  it('--via docker runs psql and pg_restore inside kasm_db (docker exec -i, the archive on stdin)', async () => {
    const docker = await dockerStandIn(sandbox, dest)
    const result = await runCli(['backup', 'restore', backup.path, '--via', 'docker', '--yes', '--json'], {env: docker.env})
    expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
    const {stagingDatabase: staging, previousDatabase: previous} = JSON.parse(result.stdout)
    const calls = (await docker.calls()).filter((c) => c.startsWith('exec'))
    // The role check comes first, before anything is stopped.
    expect(calls.shift()).to.match(/^exec -i kasm_db psql -U kasmapp -X -q -At -v ON_ERROR_STOP=1 -c SELECT json_build_object\('user', current_user, 'super', rolsuper, 'createdb', rolcreatedb, .* -d postgres$/)
    expect(calls).to.deep.equal([
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c CREATE DATABASE "${staging}" -d postgres`,
      `exec -i kasm_db pg_restore -U kasmapp --no-owner --exit-on-error -d ${staging}`,
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'kasm' AND usename = 'kasmapp' AND pid <> pg_backend_pid() -d postgres`,
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c ALTER DATABASE "kasm" RENAME TO "${previous}" -d postgres`,
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c ALTER DATABASE "${staging}" RENAME TO "kasm" -d postgres`,
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c DROP DATABASE "${previous}" -d postgres`,
    ])
    expect((await liveCounts(sandbox, ['logs'])).logs).to.equal(backup.rowCounts.logs)
  })

  it('when the restore fails after Kasm was stopped, leaves the database as it was, starts Kasm again and says so', async () => {
    // A table in template1 is copied into the staging database, where pg_restore then fails on it.
    const {connectSuperuser} = await import('../../../src/lib/sandbox/postgres.js')
    // CREATE DATABASE needs template1 free of sessions: one connection per statement.
    const inTemplate1 = async (sql: string) => {
      const template1 = await connectSuperuser(sandbox.state, 'template1')
      await template1.query(sql).finally(() => template1.end())
    }

    await inTemplate1('CREATE TABLE public.zones (zone_id int)')
    try {
      const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--yes'], {env: sandbox.env})
      expect(result.exitCode).to.equal(1)
      expect(result.stderr).to.match(/the restore failed: .*"zones" already exists.*\. Database kasm was not changed; Kasm was started again on webapp-1, webapp-2/s)
      await expectWebappsHealthy()
    } finally {
      await inTemplate1('DROP TABLE public.zones')
    }
  })

  describe('a session of another role on the database at the swap (a monitoring agent: Kasm\'s own are ended)', () => {
    async function holdDatabase(): Promise<{end: () => Promise<void>}> {
      const {connectSuperuser} = await import('../../../src/lib/sandbox/postgres.js')
      const holder = await connectSuperuser(sandbox.state, 'kasm')
      await holder.query("SET application_name = 'monitoring-agent'")
      return {end: async () => holder.end()}
    }

    it('is waited for: the swap is tried again once it has gone', async () => {
      const holder = await holdDatabase()
      const cli = startCli(['backup', 'restore', backup.path, '--via', 'local', '--yes'], {env: sandbox.env})
      try {
        await waitFor('the first try at the swap', () => cli.output().stderr.includes('is still in use; trying again'))
      } finally {
        await holder.end()
      }

      const result = await cli.result
      expect(result.exitCode, result.stderr).to.equal(0)
      await expectWebappsHealthy()
    })

    it('that stays is named after the last try, and the database is left as it was, Kasm started again', async () => {
      const holder = await holdDatabase()
      try {
        const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--yes'], {env: sandbox.env})
        expect(result.exitCode, result.stderr).to.equal(1)
        expect(result.stderr, result.stderr).to.match(/the swap failed: database kasm is still in use after 2 attempts, by .*\w+ \(pid \d+, monitoring-agent\)/)
        expect(result.stderr).to.contain('Database kasm was not changed')
        await expectWebappsHealthy()
      } finally {
        await holder.end()
      }
    })
  })

  it('refuses up front (exit 77, nothing stopped) when the context\'s role cannot drop and create the database, naming --admin-user', async () => {
    const admin = await sandbox.db()
    await admin.query('ALTER ROLE kasmapp NOCREATEDB')
    try {
      const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--yes', '--json'], {env: sandbox.env})
      expect(result.exitCode, result.stdout).to.equal(77)
      const {error} = JSON.parse(result.stdout)
      expect(error.message).to.equal('role kasmapp cannot drop and re-create database kasm: it lacks CREATEDB and is not SUPERUSER; nothing was stopped or changed')
      expect(error.hint).to.include('--admin-user postgres').and.include('--admin-password-env')
      await expectWebappsHealthy()
    } finally {
      await admin.query('ALTER ROLE kasmapp CREATEDB').finally(() => admin.end())
    }
  })

  it('--admin-user restores through a role that can, leaving the database owned by the application\'s role', async () => {
    // Sessions of other roles on kasm would block the swap, as on a real server: each query has its own connection.
    const superuser = async (sql: string) => {
      const db = await sandbox.db()
      return (await db.query(sql).finally(() => db.end())).rows
    }

    await superuser('ALTER ROLE kasmapp NOCREATEDB')
    try {
      const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--admin-user', sandbox.state.postgres.superuser, '--yes', '--json'], {env: sandbox.env})
      expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
      expect(JSON.parse(result.stdout)).to.include({adminUser: sandbox.state.postgres.superuser})
      expect(await superuser("SELECT pg_get_userbyid(datdba) AS owner, (SELECT tableowner FROM pg_tables WHERE tablename = 'zones') AS zones FROM pg_database WHERE datname = 'kasm'")).to.deep.equal([
        {owner: 'kasmapp', zones: 'kasmapp'},
      ])
      expect((await liveCounts(sandbox, ['logs'])).logs).to.equal(backup.rowCounts.logs)
    } finally {
      await superuser('ALTER ROLE kasmapp CREATEDB')
    }
  })

  it('--admin-password-env names a variable that must be set (a secret is never a flag value)', async () => {
    const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--admin-user', 'postgres', '--admin-password-env', 'KASMCTL_TEST_UNSET', '--yes'], {env: sandbox.env})
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('password of database role postgres is read from environment variable KASMCTL_TEST_UNSET, which is not set')
  })

  it('refuses a damaged backup before stopping anything', async () => {
    const damaged = await tempDir()
    try {
      const copy = await createBackup(sandbox, damaged, ['--exclude-logs'])
      const {appendFile} = await import('node:fs/promises')
      await appendFile(copy.path, 'trailing garbage')
      const result = await runCli(['backup', 'restore', copy.path, '--via', 'local', '--yes'], {env: sandbox.env})
      expect(result.exitCode).to.equal(1)
      expect(result.stderr).to.contain(`${copy.file} failed verification (checksum: sha256 mismatch`).and.contain('nothing was changed')
      const status = await sandbox.client()
      try {
        expect((await status.healthcheck(sandbox.context.hosts![0].url)).ok).to.equal(true)
      } finally {
        status.close()
      }
    } finally {
      await rm(damaged, {force: true, recursive: true})
    }
  })

  describe('on a single-server install, whose bin/stop stops kasm_db too', () => {
    let env: NodeJS.ProcessEnv
    let calls: () => Promise<string[]>
    let single: HostEntry

    before(async () => {
      const dir = await tempDir(dest)
      const docker = await dockerStandIn(sandbox, dir)
      calls = docker.calls
      single = {address: '127.0.0.1', kasmRoot: kasmRoot(sandbox.dir, SINGLE_SERVER_HOST), name: SINGLE_SERVER_HOST, roles: ['webapp', 'db'], url: sandbox.context.hosts![0].url}
      const config = join(dir, 'config.yaml')
      await writeFile(config, stringify({contexts: [{...sandbox.context, hosts: [single], name: 'single'}], currentContext: 'single'}), {mode: 0o600})
      env = {...docker.env, KASMCTL_CONFIG: config}
    })

    it('the sandbox host\'s bin/stop really stops its database, and bin/start brings Kasm back', async () => {
      const stop = await execa(join(single.kasmRoot!, 'bin', 'stop'), {reject: false})
      try {
        expect(stop.exitCode, stop.stderr).to.equal(0)
        expect(await sandbox.db().then((c) => c.end(), (error: Error) => error.message)).to.match(/ECONNREFUSED|connect/)
      } finally {
        expect((await execa(join(single.kasmRoot!, 'bin', 'start'), {reject: false})).exitCode).to.equal(0)
      }

      const client = await sandbox.client()
      try {
        expect((await client.healthcheck(single.url)).ok).to.equal(true)
      } finally {
        client.close()
      }
    })

    it('starts the database alone after bin/stop (docker compose up -d db, as db_restore), restores, starts Kasm and waits for health', async () => {
      const dryRun = JSON.parse((await runCli(['backup', 'restore', backup.path, '--via', 'local', '--dry-run', '--json'], {env})).stdout)
      expect(dryRun.databaseHosts).to.deep.equal([SINGLE_SERVER_HOST])
      expect(dryRun.steps[3]).to.equal(`start the database alone on ${SINGLE_SERVER_HOST} (local): cd ${single.kasmRoot}/current/docker && docker compose up -d db, and wait for it`)

      const admin = await sandbox.db()
      await admin.query('DELETE FROM logs WHERE log_id IN (SELECT log_id FROM logs LIMIT 5000)').finally(() => admin.end())
      const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--yes', '--json'], {env})
      expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
      expect(JSON.parse(result.stdout).health.map((h: {host: string; ok: boolean}) => [h.host, h.ok])).to.deep.equal([[SINGLE_SERVER_HOST, true]])
      expect(await calls()).to.deep.equal(['compose up -d db'])
      expect((await liveCounts(sandbox, ['logs'])).logs).to.equal(backup.rowCounts.logs)
    })
  })
})
