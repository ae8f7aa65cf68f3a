import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {mkdir, open, readFile, symlink, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {sweepAbandonedScratch} from '../../../src/lib/backup/scratch-postgres.js'
import {findExecutable} from '../../../src/lib/process/children.js'
import {runCli, startCli} from '../../helpers/cli.js'
import {running} from '../../lib/process/support.js'
import type {TestSandbox} from '../../helpers/sandbox.js'
import {createBackup, descendants, dockerStandIn, liveCounts, waitFor, withSandboxAndDest} from './support.js'

describe('backup verify', function () {
  this.timeout(120_000)
  let sandbox: TestSandbox
  let dest: string

  withSandboxAndDest(
    (s) => (sandbox = s),
    (d) => (dest = d),
  )

  it('round trip: create, then --latest --restore-test restores into a throwaway PostgreSQL with identical row counts', async () => {
    const created = await createBackup(sandbox, dest)
    const result = await runCli(['backup', 'verify', '--latest', '--dest', dest, '--restore-test', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    expect(json).to.include({file: created.file, ok: true, path: created.path})
    expect(json.checks.map((c: {name: string; ok: boolean}) => [c.name, c.ok])).to.deep.equal([
      ['checksum', true],
      ['archive', true],
      ['restore', true],
    ])
    const live = await liveCounts(sandbox, Object.keys(created.rowCounts))
    expect(json.rowCounts).to.have.length(10)
    for (const row of json.rowCounts) expect(row, row.table).to.deep.equal({expected: live[row.table], restored: live[row.table], table: row.table})
  })

  it('--restore-test: kill -9 of kasmctl takes its throwaway PostgreSQL with it', async () => {
    await createBackup(sandbox, dest, ['--exclude-logs'])
    const run = startCli(['backup', 'verify', '--latest', '--dest', dest, '--restore-test'], {env: sandbox.env})
    const server = await waitFor('the scratch server', () => descendants(run.child.pid!).find((p) => p.name === 'postgres' && p.argv.includes('-D')))
    const scratch = descendants(run.child.pid!).filter((p) => p.name === 'postgres')
    expect(scratch.map((p) => p.pid)).to.include(server.pid)
    run.child.kill('SIGKILL')
    await run.result
    await waitFor('the scratch server and its backends to be gone', () => scratch.every((p) => !running(p.pid)))
    // Its directory stays for the next restore test to remove (test/lib/backup/scratch-postgres.test.ts): do it now.
    expect((await sweepAbandonedScratch(tmpdir())).map((removed) => removed.owner)).to.include(run.child.pid)
  })

  it('--target-url restores into a scratch database on that server, then drops it', async () => {
    const created = await createBackup(sandbox, dest, ['--exclude-logs'])
    const {port, superuser} = sandbox.state.postgres
    const url = `postgres://${superuser}@127.0.0.1:${port}/postgres?sslmode=disable`
    const result = await runCli(['backup', 'verify', created.path, '--restore-test', '--target-url', url, '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    expect(json.ok).to.equal(true)
    expect(json.rowCounts.every((r: {expected: number; restored: number}) => r.expected === r.restored)).to.equal(true)
    const admin = await sandbox.db()
    const scratch = await admin.query("SELECT datname FROM pg_database WHERE datname LIKE 'kasmctl_verify_%'").finally(() => admin.end())
    expect(scratch.rows).to.deep.equal([])
  })

  it('--target-url: a run killed with kill -9 leaves its scratch database, which the next run drops and names', async () => {
    const created = await createBackup(sandbox, dest, ['--exclude-logs'])
    const {port, superuser} = sandbox.state.postgres
    const url = `postgres://${superuser}@127.0.0.1:${port}/postgres?sslmode=disable`
    const admin = await sandbox.db()
    try {
      const scratch = async () => (await admin.query<{datname: string}>("SELECT datname FROM pg_database WHERE datname LIKE 'kasmctl\\_verify\\_%'")).rows.map((row) => row.datname)
      const killed = startCli(['backup', 'verify', created.path, '--restore-test', '--target-url', url], {env: sandbox.env})
      // Named in its comment: killed before that, it would have no owner, and no run would judge it abandoned.
      const owned = "SELECT datname FROM pg_database WHERE datname LIKE 'kasmctl\\_verify\\_%' AND shobj_description(oid, 'pg_database') IS NOT NULL"
      const left = await waitFor('the scratch database and its owner', async () => (await admin.query<{datname: string}>(owned)).rows[0]?.datname)
      killed.child.kill('SIGKILL')
      await killed.result
      expect(await scratch()).to.deep.equal([left])

      const next = await runCli(['backup', 'verify', created.path, '--restore-test', '--target-url', url, '--json'], {env: sandbox.env})
      expect(next.exitCode, next.stderr).to.equal(0)
      const warning = `dropped database ${left} on ${superuser}@127.0.0.1:${port}/postgres, the scratch database of a restore test whose kasmctl (pid ${killed.child.pid}) was killed`
      expect(next.stderr).to.include(warning)
      expect(JSON.parse(next.stdout).warnings).to.deep.equal([warning])
      expect(await scratch()).to.deep.equal([])
    } finally {
      await admin.end()
    }
  })

  it('a --target-url that could never work is a usage error naming it (password masked), before any check runs', async () => {
    const created = await createBackup(sandbox, dest, ['--exclude-logs'])
    for (const [url, message] of [
      ['db:5432', '--target-url "db:5432" must be a postgres:// URL, not db'],
      ['postgres://postgres@db/postgres?sslmode=yes', '--target-url "postgres://postgres@db/postgres?sslmode=yes" has sslmode "yes", not one of disable, prefer, require, verify-ca or verify-full'],
      ['mysql://root:hunter2@db/kasm', '--target-url "mysql://root:***@db/kasm" must be a postgres:// URL, not mysql'],
      ['postgres://postgres:hunter2@db/postgres', '--target-url must not contain a password: set KASMCTL_TARGET_PASSWORD instead'],
    ]) {
      const result = await runCli(['backup', 'verify', created.path, '--restore-test', '--target-url', url, '--json'], {env: sandbox.env})
      expect(result.exitCode, url).to.equal(64)
      const {error} = JSON.parse(result.stdout)
      expect(error).to.include({code: 'USAGE', message})
      expect(result.stdout + result.stderr).to.not.include('hunter2')
    }
  })

  it('fails with the reason when the file was damaged (checksum mismatch), exit 1', async () => {
    const created = await createBackup(sandbox, dest, ['--exclude-logs'])
    const handle = await open(created.path, 'r+')
    await handle.write(Buffer.from('garbage'), 0, 7, 100)
    await handle.close()

    const human = await runCli(['backup', 'verify', created.path], {env: sandbox.env})
    expect(human.exitCode).to.equal(1)
    expect(human.stdout).to.contain(`${created.file}: FAILED`)
    expect(human.stderr).to.contain(`Error: ${created.file} failed verification (checksum): sha256 mismatch: the .sha256 file records ${created.sha256}`)

    const json = JSON.parse((await runCli(['backup', 'verify', created.path, '--json'], {env: sandbox.env})).stdout)
    expect(json.ok).to.equal(false)
    expect(json.checks).to.have.length(1)
    expect(json.checks[0]).to.include({name: 'checksum', ok: false})
  })

  it('fails at pg_restore --list when the archive is unreadable even though its checksum matches', async () => {
    const created = await createBackup(sandbox, dest, ['--exclude-logs', '--compress', 'none'])
    await truncate(created.path, 1000)
    const sha256 = createHash('sha256').update(await readFile(created.path)).digest('hex')
    await writeFile(`${created.path}.sha256`, `${sha256}  ${created.file}\n`)
    const manifestPath = `${created.path}.manifest.json`
    await writeFile(manifestPath, (await readFile(manifestPath, 'utf8')).replace(created.sha256, sha256))

    const result = await runCli(['backup', 'verify', created.path, '--json'], {env: sandbox.env})
    expect(result.exitCode).to.equal(1)
    const json = JSON.parse(result.stdout)
    expect(json.checks.map((c: {name: string; ok: boolean}) => [c.name, c.ok])).to.deep.equal([
      ['checksum', true],
      ['archive', false],
    ])
    expect(json.checks[1].message).to.match(/^pg_restore cannot read the archive: pg_restore exited with 1: /)
  })

  it('reads the archive with the pg_restore inside kasm_db when this host has no PostgreSQL client tools', async () => {
    const created = await createBackup(sandbox, dest, ['--exclude-logs'])
    // There is no Docker engine here: dockerStandIn runs the real pg_restore for `docker exec -i kasm_db`.
    const docker = await dockerStandIn(sandbox, join(dest, 'docker'))
    const tools = join(dest, 'tools')
    await mkdir(tools)
    await symlink(findExecutable('zstd')!, join(tools, 'zstd'))
    const env = {...docker.env, PATH: `${join(dest, 'docker', 'bin')}:${tools}`}
    const result = await runCli(['backup', 'verify', created.path, '--json'], {env})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout).checks[1]).to.include({name: 'archive', ok: true})
    expect(JSON.parse(result.stdout).checks[1].message).to.match(/^\d+ archive entries readable \(pg_restore inside kasm_db\)$/)
    expect(await docker.calls()).to.deep.equal(['ps --filter name=^kasm_db$ --format {{.Names}}', 'exec -i kasm_db pg_restore --list'])
  })

  it('--latest in a directory without backups is a usage error naming the directory', async () => {
    const result = await runCli(['backup', 'verify', '--latest', '--dest', dest], {env: sandbox.env})
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.contain(`no complete backup of context "sandbox" in ${dest}`)
  })
})
