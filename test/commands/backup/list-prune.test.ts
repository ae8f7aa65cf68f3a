import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {copyFile, readdir, readFile, rm, truncate, utimes, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {createBackup, tempDir} from './support.js'

/** Copies a real backup (with its .sha256 and manifest) under an older night's name. */
async function copyAsNight(backup: {file: string; path: string}, dir: string, day: string): Promise<string> {
  const file = backup.file.replace(/\d{8}T\d{6}Z/, `${day}T020000Z`)
  await copyFile(backup.path, join(dir, file))
  await writeFile(join(dir, `${file}.manifest.json`), (await readFile(`${backup.path}.manifest.json`, 'utf8')).replaceAll(backup.file, file))
  await writeFile(join(dir, `${file}.sha256`), (await readFile(`${backup.path}.sha256`, 'utf8')).replace(backup.file, file))
  return file
}

describe('backup list and backup prune', function () {
  this.timeout(120_000)
  let sandbox: TestSandbox
  let dest: string
  let latest: {file: string; path: string; sizeBytes: number}

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  beforeEach(async () => {
    dest = await tempDir()
    latest = await createBackup(sandbox, dest, ['--exclude-logs'])
    for (const day of ['20240101', '20240102', '20240103']) await copyAsNight(latest, dest, day)
  })

  afterEach(async () => {
    await rm(dest, {force: true, recursive: true})
  })

  it('list: each backup with time, size, format and checksum state, newest first; a leftover .partial shows as such', async () => {
    await writeFile(join(dest, 'kasm_db_sandbox_20240104T020000Z.tar.zst.partial'), 'half')
    const result = await runCli(['backup', 'list', '--dest', dest, '--checksums', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    expect(json.dir).to.equal(dest)
    expect(json.backups.map((b: {createdAt: string; complete: boolean; verified: boolean}) => [b.createdAt.slice(0, 10), b.complete, b.verified])).to.deep.equal([
      [new Date().toISOString().slice(0, 10), true, true],
      ['2024-01-04', false, false],
      ['2024-01-03', true, true],
      ['2024-01-02', true, true],
      ['2024-01-01', true, true],
    ])
    expect(Object.keys(json.backups[0]).sort()).to.deep.equal(
      ['alembicRevision', 'checksumChecked', 'complete', 'compression', 'context', 'createdAt', 'damaged', 'excludeLogs', 'file', 'format', 'path', 'rowCounts', 'serverVersion', 'sizeBytes', 'verified'].sort(),
    )
    expect(json.backups[0]).to.include({checksumChecked: true, compression: 'zstd', context: 'sandbox', excludeLogs: true, file: latest.file, format: 'tar'})

    const table = await runCli(['backup', 'list', '--dest', dest], {env: sandbox.env})
    const lines = table.stdout.trimEnd().split('\n')
    expect(lines[0]).to.match(/^TIME\s+AGE\s+SIZE\s+FORMAT\s+LOGS\s+STATUS\s+FILE$/)
    expect(lines[1]).to.match(/tar\+zstd\s+no\s+ok\s+kasm_db_sandbox_/)
    expect(lines[2]).to.match(/partial\s+kasm_db_sandbox_20240104T020000Z\.tar\.zst\.partial$/)
  })

  it('list --dest needs no context: with none selected it lists every context\'s backups; without --dest it says what is missing', async () => {
    const other = latest.file.replace('kasm_db_sandbox_', 'kasm_db_standby_')
    await copyFile(latest.path, join(dest, other))
    const env = {...sandbox.env, KASMCTL_API_URL: '', KASMCTL_CONFIG: join(dest, 'no-config.yaml'), KASMCTL_CONTEXT: ''}
    const result = await runCli(['backup', 'list', '--dest', dest, '--json'], {env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const contexts = JSON.parse(result.stdout).backups.map((b: {context: string}) => b.context)
    expect(contexts.filter((c: string) => c === 'standby')).to.have.length(1)
    expect(contexts.filter((c: string) => c === 'sandbox')).to.have.length(4)

    const selected = await runCli(['backup', 'list', '--dest', dest, '--json'], {env: sandbox.env})
    expect(JSON.parse(selected.stdout).backups.map((b: {context: string}) => b.context)).to.not.include('standby')

    const noDir = await runCli(['backup', 'list'], {env})
    expect(noDir.exitCode).to.equal(64)
    expect(noDir.stderr).to.contain('no context selected')
  })

  it('a --dest that is a file is exit 64 for list and prune, as for create', async () => {
    const file = join(dest, latest.file)
    for (const command of [['list'], ['prune', '--keep', '3']]) {
      const result = await runCli(['backup', ...command, '--dest', file, '--json'], {env: sandbox.env})
      expect(result.exitCode, command[0]).to.equal(64)
      expect(JSON.parse(result.stdout).error.message).to.equal(`backup destination ${file} is not a directory`)
    }
  })

  it('prune on a file system too full for its lock file still frees space, with a warning, and leaves no lock file', async () => {
    const full = await tempDir()
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4m', 'tmpfs', full])
    try {
      for (const file of await readdir(dest)) await copyFile(join(dest, file), join(full, file))
      await writeFile(join(full, 'filler'), Buffer.alloc(4 * 1024 * 1024)).catch(() => undefined)
      const result = await runCli(['backup', 'prune', '--dest', full, '--keep', '1', '--min-keep', '1', '--json'], {env: sandbox.env})
      expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
      expect(result.stderr).to.contain(`no space left in ${full} for the lock file: pruning without it`)
      expect(JSON.parse(result.stdout).removed).to.have.length(3)
      expect((await readdir(full)).filter((f) => f.endsWith('.zst') || f.startsWith('.'))).to.deep.equal([latest.file])
    } finally {
      execFileSync('umount', [full])
      await rm(full, {force: true, recursive: true})
    }
  })

  it('prune --dry-run shows what would go and removes nothing', async () => {
    const result = await runCli(['backup', 'prune', '--dest', dest, '--keep', '2', '--dry-run'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.equal(
      [
        'would remove kasm_db_sandbox_20240102T020000Z.tar.zst (beyond --keep 2)',
        'would remove kasm_db_sandbox_20240101T020000Z.tar.zst (beyond --keep 2)',
        `2 backup(s) kept in ${dest}`,
        '',
      ].join('\n'),
    )
    expect((await readdir(dest)).filter((f) => f.endsWith('.zst'))).to.have.length(4)
  })

  it('prune removes by age but never below --min-keep, with the backup\'s .sha256 and manifest', async () => {
    // The deprecated --keep-days 30 is --keep-age 30d: the same plan.
    const legacy = await runCli(['backup', 'prune', '--dest', dest, '--keep-days', '30', '--min-keep', '3', '--dry-run', '--json'], {env: sandbox.env})
    expect(legacy.exitCode, legacy.stderr).to.equal(0)
    expect(legacy.stderr).to.contain('"keep-days" flag has been deprecated. Use "keep-age" instead')
    expect(JSON.parse(legacy.stdout).removed.map((r: {reason: string}) => r.reason)).to.deep.equal(['older than 30 days'])
    const result = await runCli(['backup', 'prune', '--dest', dest, '--keep-age', '30d', '--min-keep', '3', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    expect(json).to.deep.include({dryRun: false, kept: 3})
    expect(json.removed).to.deep.equal([{createdAt: '2024-01-01T02:00:00.000Z', file: 'kasm_db_sandbox_20240101T020000Z.tar.zst', reason: 'older than 30 days'}])
    expect((await readdir(dest)).filter((f) => f.includes('20240101'))).to.deep.equal([])
  })

  it('a damaged backup shows as DAMAGED and never pushes the only good one out of --keep / --min-keep', async () => {
    // The two newest damaged (issue 13): one truncated to 100 bytes, one to 0.
    await truncate(latest.path, 100)
    await truncate(join(dest, 'kasm_db_sandbox_20240103T020000Z.tar.zst'), 0)
    const list = await runCli(['backup', 'list', '--dest', dest, '--json'], {env: sandbox.env})
    expect(list.exitCode, list.stderr).to.equal(0)
    const states = JSON.parse(list.stdout).backups.map((b: {createdAt: string; damaged: null | string; verified: boolean}) => [b.createdAt.slice(0, 10), b.verified, b.damaged])
    expect(states.slice(1)).to.deep.equal([
      ['2024-01-03', false, `it has 0 bytes where its manifest says ${latest.sizeBytes} (truncated or overwritten)`],
      ['2024-01-02', true, null],
      ['2024-01-01', true, null],
    ])
    expect(states[0]).to.deep.equal([states[0][0], false, `it has 100 bytes where its manifest says ${latest.sizeBytes} (truncated or overwritten)`])
    const table = await runCli(['backup', 'list', '--dest', dest], {env: sandbox.env})
    expect(table.stdout).to.match(/DAMAGED\s+kasm_db_sandbox_20240103T020000Z/)
    expect(table.stdout).to.contain(`kasm_db_sandbox_20240103T020000Z.tar.zst: DAMAGED, it has 0 bytes`)

    const prune = await runCli(['backup', 'prune', '--dest', dest, '--keep', '1', '--min-keep', '1', '--json'], {env: sandbox.env})
    expect(prune.exitCode, prune.stderr).to.equal(0)
    const json = JSON.parse(prune.stdout)
    expect(json.removed.map((r: {file: string}) => r.file)).to.deep.equal(['kasm_db_sandbox_20240101T020000Z.tar.zst'])
    expect(json.damaged.map((d: {file: string}) => d.file)).to.deep.equal([latest.file, 'kasm_db_sandbox_20240103T020000Z.tar.zst'])
    expect(json.kept).to.equal(1)
    expect(prune.stderr).to.contain('is damaged')
    const left = (await readdir(dest)).filter((f) => f.endsWith('.zst')).sort()
    expect(left).to.deep.equal([latest.file, 'kasm_db_sandbox_20240102T020000Z.tar.zst', 'kasm_db_sandbox_20240103T020000Z.tar.zst'].sort())
  })

  it('prune --verify hashes every backup first: a same-size corruption is caught before it counts', async () => {
    const file = join(dest, 'kasm_db_sandbox_20240103T020000Z.tar.zst')
    const bytes = await readFile(file)
    bytes[bytes.length >> 1] ^= 0xff
    await writeFile(file, bytes)
    // Bit rot: same size, and an mtime from before kasmctl finished writing it. Only a hash can tell.
    const {finishedAt} = JSON.parse(await readFile(`${file}.manifest.json`, 'utf8'))
    const written = new Date(Date.parse(finishedAt) - 1000)
    await utimes(file, written, written)
    const cheap = await runCli(['backup', 'prune', '--dest', dest, '--keep', '2', '--min-keep', '2', '--dry-run', '--json'], {env: sandbox.env})
    expect(JSON.parse(cheap.stdout).damaged).to.deep.equal([])
    const verified = await runCli(['backup', 'prune', '--dest', dest, '--keep', '2', '--min-keep', '2', '--verify', '--json'], {env: sandbox.env})
    expect(verified.exitCode, verified.stderr).to.equal(0)
    const json = JSON.parse(verified.stdout)
    expect(json.damaged).to.deep.equal([{createdAt: '2024-01-03T02:00:00.000Z', file: 'kasm_db_sandbox_20240103T020000Z.tar.zst', reason: 'its content does not match its .sha256 (checksum mismatch)'}])
    expect(json.removed.map((r: {file: string}) => r.file)).to.deep.equal(['kasm_db_sandbox_20240101T020000Z.tar.zst'])
  })

  it('prune rejects --keep below --min-keep, and having no rule at all, with exit 64', async () => {
    const below = await runCli(['backup', 'prune', '--dest', dest, '--keep', '1', '--min-keep', '2'], {env: sandbox.env})
    expect(below.exitCode).to.equal(64)
    expect(below.stderr).to.contain('--keep 1 is below --min-keep 2')
    const env = {...sandbox.env, KASMCTL_API_URL: 'https://127.0.0.1:1', KASMCTL_CONTEXT: ''}
    const none = await runCli(['backup', 'prune', '--dest', dest], {env})
    expect(none.exitCode).to.equal(64)
    expect(none.stderr).to.contain('nothing to prune by')
    expect((await readdir(dest)).filter((f) => f.endsWith('.zst'))).to.have.length(4)
  })
})
