import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {listBackups} from '../../../src/lib/backup/catalog.js'
import {NotFoundError} from '../../../src/lib/errors.js'

/** A backup file with its .sha256 and a minimal manifest, as createBackup leaves them. */
async function fakeBackup(dir: string, file: string, content: string, options: {manifest?: boolean; checksum?: string} = {}): Promise<string> {
  const sha256 = createHash('sha256').update(content).digest('hex')
  await writeFile(join(dir, file), content)
  await writeFile(join(dir, `${file}.sha256`), `${options.checksum ?? sha256}  ${file}\n`)
  if (options.manifest !== false) {
    const manifest = {manifestVersion: 1, options: {compression: 'zstd', excludeLogs: false, format: 'tar'}, sha256}
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

  it('hashes the files only when asked, and then reports a damaged one as not verified', async () => {
    await fakeBackup(dir, 'kasm_db_prod_20250101T020000Z.tar.zst', 'content', {checksum: 'f'.repeat(64)})
    // Cheap listing: the .sha256 disagrees with the manifest, so it is already not verified.
    expect((await listBackups(dir))[0].verified).to.equal(false)

    await fakeBackup(dir, 'kasm_db_prod_20250102T020000Z.tar.zst', 'content')
    await writeFile(join(dir, 'kasm_db_prod_20250102T020000Z.tar.zst'), 'tampered')
    const [tampered] = await listBackups(dir)
    expect(tampered).to.include({checksumChecked: false, verified: true})
    const [checked] = await listBackups(dir, {checksums: true})
    expect(checked).to.include({checksumChecked: true, verified: false})
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
