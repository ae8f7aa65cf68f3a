import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {copyFile, mkdir, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {join} from 'node:path'

import {runCli, startCli} from '../../helpers/cli.js'
import type {TestSandbox} from '../../helpers/sandbox.js'
import {running} from '../../lib/process/support.js'
import {parsePrometheus, sampleValue} from '../../helpers/prometheus.js'
import {blockPgDump, createBackup, descendants, dockerStandIn, tempDir, liveCounts, runningPgDump, waitFor, withSandboxAndDest} from './support.js'

const KEY_TABLES = ['installation', 'zones', 'managers', 'servers', 'kasms', 'users', 'images', 'settings', 'accounting', 'logs']

describe('backup create', function () {
  this.timeout(120_000)
  let sandbox: TestSandbox
  let dest: string

  withSandboxAndDest(
    (s) => (sandbox = s),
    (d) => (dest = d),
  )

  it('streams a zstd-compressed tar dump with a sha256sum-checkable .sha256 and a manifest, all mode 0600', async () => {
    const json = await createBackup(sandbox, dest)
    expect(json.file).to.match(/^kasm_db_sandbox_\d{8}T\d{6}Z\.tar\.zst$/)
    expect(json).to.include({compression: 'zstd', excludeLogs: false, format: 'tar', path: join(dest, json.file), via: 'local'})
    expect(json.removed).to.deep.equal([])
    expect(Object.keys(json).sort()).to.deep.equal(
      ['alembicRevision', 'compression', 'durationMs', 'excludeLogs', 'file', 'format', 'path', 'removed', 'rowCounts', 'serverVersion', 'sha256', 'sizeBytes', 'via'].sort(),
    )

    const files = (await readdir(dest)).filter((f) => !f.startsWith('.'))
    expect(files.sort()).to.deep.equal([json.file, `${json.file}.manifest.json`, `${json.file}.sha256`])
    for (const file of files) expect((await stat(join(dest, file))).mode & 0o777, file).to.equal(0o600)
    expect(execFileSync('sha256sum', ['-c', `${json.file}.sha256`], {cwd: dest, encoding: 'utf8'})).to.equal(`${json.file}: OK\n`)

    const manifest = JSON.parse(await readFile(join(dest, `${json.file}.manifest.json`), 'utf8'))
    expect(manifest).to.include({context: 'sandbox', file: json.file, manifestVersion: 1, sha256: json.sha256, sizeBytes: (await stat(json.path)).size, via: 'local'})
    expect(manifest.database).to.include({name: 'kasm', serverVersion: json.serverVersion})
    expect(manifest.database.alembicRevision).to.be.a('string').and.equal(json.alembicRevision)
    expect(manifest.database.installationId).to.match(/^[\da-f-]{36}$/)
    expect(manifest.pgDumpVersion).to.match(/^\d+\.\d+$/)
    expect(manifest.options).to.deep.equal({compression: 'zstd', excludeLogs: false, format: 'tar'})
    expect(Date.parse(manifest.finishedAt) - Date.parse(manifest.startedAt)).to.equal(manifest.durationMs)
    // Counted inside the dump's snapshot, so equal to the (idle) database's counts.
    expect(manifest.rowCounts).to.deep.equal(await liveCounts(sandbox, KEY_TABLES))
    expect(manifest.rowCounts.logs).to.be.greaterThan(1000)
  })

  it('--compress none writes the plain .tar that Kasm\'s db_restore reads; gzip a .tar.gz; --format custom a pg_dump custom archive', async () => {
    const tar = await createBackup(sandbox, dest, ['--compress', 'none'])
    expect(tar.file).to.match(/\.tar$/)
    expect(execFileSync('tar', ['-tf', tar.path], {encoding: 'utf8'})).to.contain('toc.dat')

    const gzip = await createBackup(sandbox, dest, ['--compress', 'gzip', '--exclude-logs'])
    expect(gzip.file).to.match(/\.tar\.gz$/)
    expect(execFileSync('sh', ['-c', `gzip -dc '${gzip.path}' | tar -t`], {encoding: 'utf8'})).to.contain('toc.dat')

    const custom = await createBackup(sandbox, dest, ['--format', 'custom', '--compress', 'gzip'])
    expect(custom.file).to.match(/\.dump$/)
    expect((await readFile(custom.path)).subarray(0, 5).toString()).to.equal('PGDMP')
  })

  it('--exclude-logs keeps the logs table out of the data and the row counts', async () => {
    const json = await createBackup(sandbox, dest, ['--exclude-logs'])
    expect(json.excludeLogs).to.equal(true)
    expect(json.rowCounts).to.not.have.property('logs')
    const listing = execFileSync('sh', ['-c', `zstd -dc '${json.path}' | pg_restore --list`], {encoding: 'utf8'})
    expect(listing).to.match(/TABLE public logs /)
    expect(listing).not.to.match(/TABLE DATA public logs /)
  })

  it('applies retention after the new backup is complete: --keep removes the oldest and says so', async () => {
    const first = await createBackup(sandbox, dest, ['--exclude-logs'])
    // Two older copies of it, as if taken on earlier nights.
    for (const day of ['20240101', '20240102']) {
      const file = first.file.replace(/\d{8}T/, `${day}T`)
      await copyFile(first.path, join(dest, file))
      const manifest = await readFile(`${first.path}.manifest.json`, 'utf8')
      await writeFile(join(dest, `${file}.manifest.json`), manifest.replaceAll(first.file, file))
      await writeFile(join(dest, `${file}.sha256`), (await readFile(`${first.path}.sha256`, 'utf8')).replace(first.file, file))
    }

    const json = await createBackup(sandbox, dest, ['--exclude-logs', '--keep', '2', '--min-keep', '1'])
    expect(json.removed.map((r) => [r.file.slice(16, 24), r.reason])).to.deep.equal([
      ['20240102', 'beyond --keep 2'],
      ['20240101', 'beyond --keep 2'],
    ])
    const left = (await readdir(dest)).filter((f) => f.endsWith('.zst')).sort()
    expect(left).to.deep.equal([first.file, json.file].sort())
  })

  it('is quiet for cron: nothing on stdout on success, one line on stderr on failure, a --log-file line per run', async () => {
    const log = join(dest, 'logs', 'backup.log')
    const ok = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--exclude-logs', '--quiet', '--log-file', log], {env: sandbox.env})
    expect(ok).to.deep.include({exitCode: 0, stdout: ''})

    const missing = join(dest, 'missing')
    const failed = await runCli(['backup', 'create', '--dest', missing, '--via', 'local', '--quiet', '--log-file', log], {env: sandbox.env})
    expect(failed.exitCode).to.equal(64)
    expect(failed.stdout).to.equal('')
    expect(failed.stderr.trimEnd().split('\n')).to.deep.equal([
      `kasmctl backup create: backup directory ${missing} does not exist (create it with \`mkdir -m 700 -p ${missing}\`)`,
    ])

    const lines = (await readFile(log, 'utf8')).trimEnd().split('\n')
    expect(lines).to.have.length(2)
    expect(lines[0]).to.match(/^\S+Z backup create status=ok context=sandbox duration=\S+ file=\S+\.tar\.zst removed=0 size=\d+$/)
    expect(lines[1]).to.match(/^\S+Z backup create status=failed exit=64 error="backup directory .* does not exist"$/)
  })

  it('--metrics-file writes node_exporter textfile metrics that a Prometheus parser reads; a failed run keeps the last success', async () => {
    const metrics = join(dest, 'textfile', 'kasmctl_backup.prom')
    const ok = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--exclude-logs', '--json', '--metrics-file', metrics], {env: sandbox.env})
    expect(ok.exitCode, ok.stderr).to.equal(0)
    const json = JSON.parse(ok.stdout)
    const first = await parsePrometheus(await readFile(metrics, 'utf8'))
    expect(first.map((f) => [f.name, f.type])).to.deep.equal([
      ['kasmctl_backup_last_run_success', 'gauge'],
      ['kasmctl_backup_last_run_timestamp_seconds', 'gauge'],
      ['kasmctl_backup_last_success_timestamp_seconds', 'gauge'],
      ['kasmctl_backup_last_success_duration_seconds', 'gauge'],
      ['kasmctl_backup_last_success_size_bytes', 'gauge'],
    ])
    const labels = {context: 'sandbox'}
    expect(sampleValue(first, 'kasmctl_backup_last_run_success', labels)).to.equal(1)
    expect(sampleValue(first, 'kasmctl_backup_last_success_size_bytes', labels)).to.equal(json.sizeBytes)
    expect(sampleValue(first, 'kasmctl_backup_last_success_duration_seconds', labels)).to.equal(json.durationMs / 1000)
    const succeededAt = sampleValue(first, 'kasmctl_backup_last_success_timestamp_seconds', labels)
    expect(Math.abs(succeededAt * 1000 - Date.now())).to.be.below(60_000)
    expect((await stat(metrics)).mode & 0o777).to.equal(0o644)

    await sandbox.stopDatabase()
    try {
      const failed = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--metrics-file', metrics], {env: sandbox.env})
      expect(failed.exitCode).to.equal(69)
    } finally {
      await sandbox.startDatabase()
    }

    const second = await parsePrometheus(await readFile(metrics, 'utf8'))
    expect(sampleValue(second, 'kasmctl_backup_last_run_success', labels)).to.equal(0)
    expect(sampleValue(second, 'kasmctl_backup_last_success_timestamp_seconds', labels)).to.equal(succeededAt)
    expect(sampleValue(second, 'kasmctl_backup_last_success_size_bytes', labels)).to.equal(json.sizeBytes)
    expect(sampleValue(second, 'kasmctl_backup_last_run_timestamp_seconds', labels)).to.be.above(succeededAt)
    expect((await readdir(join(dest, 'textfile')))).to.deep.equal(['kasmctl_backup.prom'])
  })

  it('--dry-run says what would be dumped, where, and what retention would remove, and writes nothing', async () => {
    const first = await createBackup(sandbox, dest, ['--exclude-logs'])
    const before = (await readdir(dest)).sort()
    const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--keep', '1', '--min-keep', '1', '--dry-run', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stdout).to.equal(0)
    const plan = JSON.parse(result.stdout)
    expect(plan).to.deep.include({compression: 'zstd', damaged: [], dryRun: true, excludeLogs: false, format: 'tar', via: 'local'})
    expect(plan.database).to.match(/^kasmapp@127\.0\.0\.1:\d+\/kasm/)
    expect(plan.path).to.match(new RegExp(`^${dest}/kasm_db_sandbox_\\d{8}T\\d{6}Z\\.tar\\.zst$`))
    expect(plan.wouldRemove.map((r: {file: string; reason: string}) => [r.file, r.reason])).to.deep.equal([[first.file, 'beyond --keep 1']])
    const human = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--keep', '1', '--min-keep', '1', '--dry-run'], {env: sandbox.env})
    expect(human.stdout).to.match(/^would dump kasmapp@127\.0\.0\.1:\d+\/kasm \(via local, pg_dump \d+/)
    expect(human.stdout).to.contain(`would remove ${first.file} (beyond --keep 1)`)
    expect((await readdir(dest)).sort()).to.deep.equal(before)
  })

  describe('bad input and faults', () => {
    it('checks every output path before dumping: a --log-file or --metrics-file that cannot be written is exit 64 naming it', async () => {
      const file = join(dest, 'a-file')
      await writeFile(file, '')
      for (const [flag, path, why] of [
        ['--log-file', dest, 'is a directory'],
        ['--metrics-file', dest, 'is a directory'],
        ['--log-file', join(file, 'run.log'), `${file} is not a directory`],
        ['--metrics-file', join(file, 'sub', 'backup.prom'), `${file} is not a directory`],
      ]) {
        const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--json', flag, path], {env: sandbox.env})
        expect(result.exitCode, `${flag} ${path}`).to.equal(64)
        expect(JSON.parse(result.stdout).error.message).to.equal(`${flag} ${path}: ${why}`)
        expect(await readdir(dest)).to.deep.equal(['a-file'])
      }
    })

    it('a written backup is never reported failed: a report that cannot be written at the end (a full disk) is a warning', async () => {
      const textfile = await tempDir()
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', textfile])
      try {
        await writeFile(join(textfile, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined)
        const metrics = join(textfile, 'kasmctl_backup.prom')
        const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--exclude-logs', '--json', '--metrics-file', metrics], {env: sandbox.env})
        expect(result.exitCode, result.stderr).to.equal(0)
        const {path} = JSON.parse(result.stdout)
        expect(result.stderr).to.contain(`${path} was written, but its run report was not`).and.contain('ENOSPC')
        expect(await readdir(textfile)).to.deep.equal(['filler'])
      } finally {
        execFileSync('umount', [textfile])
        await rm(textfile, {force: true, recursive: true})
      }
    })

    it('with no space at all on the destination: DEST_FULL, exit 1, nothing left behind', async () => {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=64k', 'tmpfs', dest])
      try {
        await writeFile(join(dest, 'filler'), Buffer.alloc(64 * 1024)).catch(() => undefined) // fills it, whatever fits
        for (const extra of [[], ['--quiet']]) {
          const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--json', ...extra], {env: sandbox.env})
          expect(result.exitCode, result.stdout).to.equal(1)
          expect(JSON.parse(result.stdout).error).to.deep.include({code: 'DEST_FULL', message: `no space left in ${dest}: no backup was written, older backups untouched`})
          expect(await readdir(dest)).to.deep.equal(['filler'])
        }
      } finally {
        execFileSync('umount', [dest])
      }
    })

    it('rejects --keep 0 and an unknown --format with exit 64, naming the value', async () => {
      const keep = await runCli(['backup', 'create', '--dest', dest, '--keep', '0'], {env: sandbox.env})
      expect(keep.exitCode).to.equal(64)
      expect(keep.stderr).to.contain('--keep 0 is not valid')
      const format = await runCli(['backup', 'create', '--dest', dest, '--format', 'zip'], {env: sandbox.env})
      expect(format.exitCode).to.equal(64)
      expect(format.stderr).to.contain('zip').and.contain('tar, custom')
      expect(await readdir(dest)).to.deep.equal([])
    })

    it('reports a refused password as an authentication error (77), as every database command does, and writes nothing', async () => {
      const {port} = sandbox.state.postgres
      const env = {
        ...sandbox.env,
        KASMCTL_API_URL: 'https://127.0.0.1:9',
        KASMCTL_DATABASE_PASSWORD: 'not-the-password',
        KASMCTL_DATABASE_URL: `postgres://kasmapp@127.0.0.1:${port}/kasm?sslmode=require`,
      }
      const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local'], {env})
      expect(result.exitCode, result.stderr).to.equal(77)
      expect(result.stderr).to.contain(`PostgreSQL at 127.0.0.1:${port} (database kasm, user kasmapp`).and.contain('refused the password')
      expect(result.stderr).not.to.contain('not-the-password')
      expect((await readdir(dest)).filter((f) => !f.startsWith('.'))).to.deep.equal([])
    })

    it('catches a pg_dump older than the server before dumping, naming both versions; a missing pg_dump is unavailable (69)', async () => {
      const backups = join(dest, 'backups')
      const bin = join(dest, 'bin')
      await mkdir(backups)
      await mkdir(bin)
      // A stand-in pg_dump 12 ahead of the real tools on PATH: the version check must stop before any dump.
      await writeFile(join(bin, 'pg_dump'), '#!/bin/sh\n[ "$1" = --version ] && echo "pg_dump (PostgreSQL) 12.22" && exit 0\necho dumped >> "$(dirname "$0")/ran"\n', {mode: 0o755})
      const old = await runCli(['backup', 'create', '--dest', backups, '--via', 'local'], {env: {...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`}})
      expect(old.exitCode).to.equal(1)
      expect(old.stderr).to.match(/pg_dump 12\.22 is older than the server \(PostgreSQL 15\.\d+\) and cannot dump it/)
      expect(old.stderr).to.contain('postgresql-client-15')
      expect(await readdir(bin)).to.deep.equal(['pg_dump'])

      await rm(join(bin, 'pg_dump')) // PATH is now only this empty directory: no client tools installed
      const missing = await runCli(['backup', 'create', '--dest', backups, '--via', 'local', '--compress', 'none'], {env: {...sandbox.env, PATH: bin}})
      expect(missing.exitCode).to.equal(69)
      expect(missing.stderr).to.contain('cannot run `pg_dump --version`: ENOENT').and.contain('apt-get install postgresql-client')
      expect((await readdir(backups)).filter((f) => !f.startsWith('.'))).to.deep.equal([])
    })

    it('refuses a read-only destination before dumping', async () => {
      await execFileSync('mount', ['-t', 'tmpfs', '-o', 'ro,size=1m', 'tmpfs', dest])
      try {
        const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local'], {env: sandbox.env})
        expect(result.exitCode).to.equal(1)
        expect(result.stderr).to.contain(`backup directory ${dest} is not writable (read-only file system)`)
      } finally {
        execFileSync('umount', [dest])
      }
    })

    it('on a full destination leaves no partial file and the older backups untouched', async () => {
      execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', dest])
      try {
        const older = await createBackup(sandbox, dest, ['--exclude-logs'])
        const before = await readFile(older.path)
        const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--compress', 'none'], {env: sandbox.env})
        expect(result.exitCode).to.equal(1)
        expect(result.stderr).to.contain(`no space left in ${dest}`).and.contain('no backup was written, older backups untouched')
        const files = (await readdir(dest)).sort()
        expect(files).to.deep.equal([older.file, `${older.file}.manifest.json`, `${older.file}.sha256`])
        expect((await readFile(older.path)).equals(before)).to.equal(true)
      } finally {
        execFileSync('umount', [dest])
      }
    })

    it('reports a database that is down as unavailable (69), naming the server', async () => {
      await sandbox.stopDatabase()
      try {
        const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local'], {env: sandbox.env})
        expect(result.exitCode).to.equal(69)
        expect(result.stderr).to.match(/cannot reach PostgreSQL at 127\.0\.0\.1:\d+ \(database kasm, user kasmapp/)
        expect((await readdir(dest)).filter((f) => !f.startsWith('.'))).to.deep.equal([])
      } finally {
        await sandbox.startDatabase()
      }
    })

    it('a second run while one is in progress exits 75 at once naming the holder; pg_dump killed mid-run leaves nothing complete-looking and releases the lock', async () => {
      const blocker = await blockPgDump(sandbox)
      const first = startCli(['backup', 'create', '--dest', dest, '--via', 'local'], {env: sandbox.env})
      try {
        const pgDump = await waitFor('pg_dump to start', () => runningPgDump(first.child.pid!))
        const second = await runCli(['backup', 'create', '--dest', dest, '--via', 'local'], {env: sandbox.env})
        expect(second.exitCode).to.equal(75)
        expect(second.stderr).to.contain(`is locked by process ${first.child.pid} (backup create`)
        expect((await readdir(dest)).some((f) => f.endsWith('.partial'))).to.equal(true)

        process.kill(pgDump.pid, 'SIGKILL')
        const result = await first.result
        expect(result.exitCode).to.equal(1)
        expect(result.stderr).to.contain('pg_dump was killed by SIGKILL; no backup was written')
      } finally {
        await blocker.release()
      }

      expect(await readdir(dest)).to.deep.equal([])
      await createBackup(sandbox, dest, ['--exclude-logs'])
    })

    it('takes over the lock of a run that died (kill -9), with a warning, and removes the partial file it left', async () => {
      const dead = spawnSync(process.execPath, ['-e', '']).pid!
      await writeFile(join(dest, '.kasmctl-backup.lock'), JSON.stringify({hostname: hostname(), pid: dead, purpose: 'backup create', startedAt: '2026-01-01T02:00:00.000Z'}))
      await writeFile(join(dest, 'kasm_db_sandbox_20260101T020000Z.tar.zst.partial'), 'half a dump')
      const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--exclude-logs', '--quiet'], {env: sandbox.env})
      expect(result.exitCode, result.stderr).to.equal(0)
      expect(result.stderr).to.contain(`taking over the lock ${join(dest, '.kasmctl-backup.lock')} left by process ${dead}`)
      expect(result.stderr).to.contain('removed kasm_db_sandbox_20260101T020000Z.tar.zst.partial, left by an interrupted run')
      expect((await readdir(dest)).filter((f) => f.endsWith('.partial') || f.startsWith('.'))).to.deep.equal([])
    })

    it('kill -9 of kasmctl takes pg_dump, zstd and the snapshot psql with it; the rerun finds nothing of it running', async () => {
      const blocker = await blockPgDump(sandbox)
      const run = startCli(['backup', 'create', '--dest', dest, '--via', 'local', '--compress', 'zstd'], {env: sandbox.env})
      let children: Array<{pid: number; name: string}> = []
      try {
        // Until a child has exec'd its program, /proc names it after its parent (node's "MainThread" on Node 24) or setpriv.
        const all = ['pg_dump', 'psql', 'zstd']
        children = await waitFor(`${all.join(', ')} to run`, () => {
          const found = descendants(run.child.pid!)
          return all.every((name) => found.some((p) => p.name === name)) ? found : undefined
        })
        run.child.kill('SIGKILL')
        await run.result
        await waitFor('every child of the killed run to be gone', () => children.every((p) => !running(p.pid)))
      } finally {
        await blocker.release()
      }

      const rerun = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--exclude-logs', '--json'], {env: sandbox.env})
      expect(rerun.exitCode, rerun.stderr).to.equal(0)
      expect(rerun.stderr).to.contain('left by an interrupted run')
      expect((await readdir(dest)).filter((f) => f.endsWith('.partial') || f.startsWith('.'))).to.deep.equal([])
    })

    it('SIGTERM stops pg_dump, removes the partial file and releases the lock', async () => {
      const blocker = await blockPgDump(sandbox)
      const run = startCli(['backup', 'create', '--dest', dest, '--via', 'local'], {env: sandbox.env})
      try {
        await waitFor('pg_dump to start', () => runningPgDump(run.child.pid!))
        run.child.kill('SIGTERM')
        const result = await run.result
        expect(result.exitCode).to.equal(1)
        expect(result.stderr).to.contain('interrupted (SIGTERM): pg_dump stopped, no backup was written')
      } finally {
        await blocker.release()
      }

      expect(await readdir(dest)).to.deep.equal([])
    })
  })

  describe('--via docker', () => {
    // There is no Docker engine here: see dockerStandIn (a stand-in `docker` that runs the real tools).
    it('is the default when docker lists a kasm_db container, and streams `docker exec -i kasm_db pg_dump -U kasmapp ...` to the file', async () => {
      const docker = await dockerStandIn(sandbox, dest)
      const backups = join(dest, 'backups')
      await mkdir(backups)
      const result = await runCli(['backup', 'create', '--dest', backups, '--exclude-logs', '--json'], {env: docker.env})
      expect(result.exitCode, result.stderr).to.equal(0)
      const json = JSON.parse(result.stdout)
      expect(json.via).to.equal('docker')

      const calls = await docker.calls()
      expect(calls[0]).to.equal('ps --filter name=^kasm_db$ --format {{.Names}}')
      expect(calls).to.include('exec -i kasm_db pg_dump --version')
      expect(calls).to.include('exec -i kasm_db psql -U kasmapp -X -q -A -t -v ON_ERROR_STOP=1 -d kasm')
      const dump = calls.find((c) => c.startsWith('exec -i kasm_db pg_dump -U'))
      expect(dump).to.match(/^exec -i kasm_db pg_dump -U kasmapp -Ft -b -C --snapshot=[\dA-F-]+ --exclude-table-data=logs -d kasm$/)
      expect(calls).to.include('exec -i kasm_db pg_restore --list')
      expect(calls.join('\n')).not.to.contain(sandbox.state.postgres.kasmappPassword)
      expect(json.rowCounts).to.deep.equal(await liveCounts(sandbox, KEY_TABLES.filter((t) => t !== 'logs')))
    })
  })
})

