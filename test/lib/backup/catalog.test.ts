import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {mkdtemp, rm, truncate, utimes, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {listBackups} from '../../../src/lib/backup/catalog.js'
import {NotFoundError} from '../../../src/lib/errors.js'

/** A backup file with its .sha256 and a minimal manifest, as createBackup leaves them. */
async function fakeBackup(dir: string, file: string, content: string, options: {manifest?: boolean; checksum?: string; finishedAt?: string} = {}): Promise<string> {
  const sha256 = createHash('sha256').update(content).digest('hex')
  await writeFile(join(dir, file), content)
  await writeFile(join(dir, `${file}.sha256`), `${options.checksum ?? sha256}  ${file}\n`)
  if (options.manifest !== false) {
    const finishedAt = options.finishedAt ?? new Date(Date.now() + 60_000).toISOString()
    const manifest = {finishedAt, manifestVersion: 1, options: {compression: 'zstd', excludeLogs: false, format: 'tar'}, sha256, sizeBytes: Buffer.byteLength(content)}
    await writeFile(join(dir, `${file}.manifest.json`), JSON.stringify(manifest))
  }

  return sha256
}

describe('lib/backup/catalog', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-catalog-'))
  })

  afterEach(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  it('lists backups newest first with their time, size, format, completeness and checksum state', async () => {
    await fakeBackup(dir, 'kasm_db_prod_20250101T020000Z.tar.zst', 'older')
    await fakeBackup(dir, 'kasm_db_prod_20250102T020000Z.dump', 'newer!', {manifest: false})
    await writeFile(join(dir, 'kasm_db_prod_20250103T020000Z.tar.gz.partial'), 'half')
    await writeFile(join(dir, 'notes.txt'), 'not a backup')

    const entries = await listBackups(dir)
    expect(entries.map((e) => [e.file, e.complete, e.verified])).to.deep.equal([
      ['kasm_db_prod_20250103T020000Z.tar.gz.partial', false, false],
      ['kasm_db_prod_20250102T020000Z.dump', false, true],
      ['kasm_db_prod_20250101T020000Z.tar.zst', true, true],
    ])
    const [partial, custom, tar] = entries
    expect(partial).to.include({compression: 'gzip', format: 'tar', sizeBytes: 4})
    expect(partial.createdAt.toISOString()).to.equal('2025-01-03T02:00:00.000Z')
    expect(custom).to.include({format: 'custom', sizeBytes: 6})
    expect(tar).to.include({checksumChecked: false, compression: 'zstd', context: 'prod', format: 'tar', path: join(dir, tar.file)})
    expect(tar.manifest?.sha256).to.have.length(64)
  })

  it('cheaply finds a damaged backup: its size against the manifest, and a hash only of files changed since they were written', async () => {
    const written = new Date(Date.now() + 60_000).toISOString() // after every mtime of this test
    await fakeBackup(dir, 'kasm_db_prod_20250101T020000Z.tar.zst', 'content', {checksum: 'f'.repeat(64), finishedAt: written})
    const [disagreeing] = await listBackups(dir)
    expect(disagreeing).to.include({checksumChecked: false, damage: 'its .sha256 and its manifest record different checksums', verified: false})

    await fakeBackup(dir, 'kasm_db_prod_20250102T020000Z.tar.zst', 'content', {finishedAt: written})
    await truncate(join(dir, 'kasm_db_prod_20250102T020000Z.tar.zst'), 3)
    const [truncated] = await listBackups(dir)
    expect(truncated).to.include({checksumChecked: false, damage: 'it has 3 bytes where its manifest says 7 (truncated or overwritten)', verified: false})

    // Same size, different bytes, written after kasmctl hashed it (no finishedAt later than its mtime): hashed.
    await fakeBackup(dir, 'kasm_db_prod_20250103T020000Z.tar.zst', 'content', {finishedAt: '2025-01-03T02:00:05Z'})
    await writeFile(join(dir, 'kasm_db_prod_20250103T020000Z.tar.zst'), 'CONTENT')
    const [rewritten] = await listBackups(dir)
    expect(rewritten).to.include({checksumChecked: true, damage: 'its content does not match its .sha256 (checksum mismatch)', verified: false})
  })

  it('hashes a backup untouched since it was written only when asked (checksums: true)', async () => {
    await fakeBackup(dir, 'kasm_db_prod_20250101T020000Z.tar.zst', 'content')
    await writeFile(join(dir, 'kasm_db_prod_20250101T020000Z.tar.zst'), 'CONTENT')
    await utimes(join(dir, 'kasm_db_prod_20250101T020000Z.tar.zst'), new Date('2025-01-01T02:00:00Z'), new Date('2025-01-01T02:00:00Z'))
    const [cheap] = await listBackups(dir)
    expect(cheap).to.include({checksumChecked: false, verified: true})
    expect(cheap.damage).to.equal(undefined)
    const [checked] = await listBackups(dir, {checksums: true})
    expect(checked).to.include({checksumChecked: true, verified: false})
    expect(checked.damage).to.contain('checksum mismatch')
  })

  it('filters by context', async () => {
    await fakeBackup(dir, 'kasm_db_prod_20250101T020000Z.tar', 'a')
    await fakeBackup(dir, 'kasm_db_staging_eu_20250101T020000Z.tar', 'b')
    expect((await listBackups(dir, {context: 'staging_eu'})).map((e) => e.context)).to.deep.equal(['staging_eu'])
  })

  it('reports a missing directory as NotFoundError naming it', async () => {
    const missing = join(dir, 'nope')
    const error = await listBackups(missing).catch((error_: unknown) => error_)
    expect(error).to.be.instanceOf(NotFoundError)
    expect((error as Error).message).to.equal(`backup directory ${missing} does not exist`)
  })
})
