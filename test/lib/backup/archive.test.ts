import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {feedArchive} from '../../../src/lib/backup/archive.js'
import type {OperationError} from '../../../src/lib/errors.js'

/** feedArchive: a compressed archive, decompressed by a real zstd into a reader standing in for pg_restore. */
describe('lib/backup/archive feedArchive', () => {
  let dir: string
  let archive: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-archive-'))
    archive = join(dir, 'kasm_db_test.tar.zst')
    // 64 MiB once decompressed: far more than a pipe holds, so zstd is still writing when the reader goes.
    execFileSync('sh', ['-c', `head -c 67108864 /dev/zero | zstd -q -1 -o ${archive}`])
  })

  after(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  const reader = (script: string) => ({args: ['-c', script], env: process.env, file: 'sh'})

  it('a reader that succeeds without reading all (pg_restore leaves a tar archive\'s trailing blocks) is no damage', async () => {
    expect(await feedArchive({compression: 'zstd', format: 'tar', path: archive}, reader('head -c 1 >/dev/null'))).to.equal('')
  })

  it('a file the decompressor cannot read is damaged (ARCHIVE_DAMAGED)', async () => {
    const damaged = join(dir, 'kasm_db_damaged.tar.zst')
    await writeFile(damaged, 'not zstd at all')
    const error = (await feedArchive({compression: 'zstd', format: 'tar', path: damaged}, reader('cat >/dev/null')).catch((error_: unknown) => error_)) as OperationError
    expect(error.code).to.equal('ARCHIVE_DAMAGED')
    expect(error.message).to.contain('(the file is damaged)')
  })
})
