import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {mkdir, rm, writeFile} from 'node:fs/promises'

import type {BackupCreateJson} from '../../../src/lib/backup/render.js'
import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {createBackup, dockerStandIn, liveCounts, tempDir} from './support.js'

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

  it('--dry-run shows the plan (stop web apps, restore into staging, swap, start, health check) and changes nothing', async () => {
    const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--dry-run', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const plan = JSON.parse(result.stdout)
    expect(plan).to.include({database: 'kasm', dryRun: true, file: backup.file, via: 'local'})
    expect(plan.webapps).to.deep.equal(['webapp-1', 'webapp-2'])
    expect(plan.stagingDatabase).to.match(/^kasm_restore_\d{8}t\d{6}$/)
    expect(plan.steps[1]).to.match(/^stop Kasm on webapp-1 \(local\): \S+\/hosts\/webapp-1\/opt\/kasm\/bin\/stop$/)
    expect(plan.steps.at(-1)).to.equal(`drop ${plan.previousDatabase} once the web apps are healthy`)
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
    expect(result.exitCode, result.stderr).to.equal(0)
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
    expect(result.exitCode, result.stderr).to.equal(0)
    const {stagingDatabase: staging, previousDatabase: previous} = JSON.parse(result.stdout)
    const calls = (await docker.calls()).filter((c) => c.startsWith('exec'))
    expect(calls).to.deep.equal([
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c CREATE DATABASE ${staging} -d postgres`,
      `exec -i kasm_db pg_restore -U kasmapp --no-owner --exit-on-error -d ${staging}`,
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = 'kasm' AND usename = current_user AND pid <> pg_backend_pid() -d postgres`,
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c ALTER DATABASE kasm RENAME TO ${previous} -d postgres`,
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c ALTER DATABASE ${staging} RENAME TO kasm -d postgres`,
      `exec -i kasm_db psql -U kasmapp -X -q -v ON_ERROR_STOP=1 -c DROP DATABASE ${previous} -d postgres`,
    ])
    expect((await liveCounts(sandbox, ['logs'])).logs).to.equal(backup.rowCounts.logs)
  })

  it('when the restore fails after Kasm was stopped, leaves the database as it was, starts Kasm again and says so', async () => {
    const admin = await sandbox.db()
    await admin.query('ALTER ROLE kasmapp NOCREATEDB')
    try {
      const result = await runCli(['backup', 'restore', backup.path, '--via', 'local', '--yes'], {env: sandbox.env})
      expect(result.exitCode).to.equal(1)
      expect(result.stderr).to.match(/the restore failed: permission denied to create database\. Database kasm was not changed; Kasm was started again on webapp-1, webapp-2/)
      const client = await sandbox.client()
      try {
        for (const host of sandbox.context.hosts!.filter((h) => h.roles.includes('webapp'))) expect((await client.healthcheck(host.url)).ok, host.name).to.equal(true)
      } finally {
        client.close()
      }
    } finally {
      await admin.query('ALTER ROLE kasmapp CREATEDB').finally(() => admin.end())
    }
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
})
