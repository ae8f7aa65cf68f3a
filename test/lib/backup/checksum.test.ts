import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {mkdtemp, open, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {sha256Appending, sha256File} from '../../../src/lib/backup/checksum.js'

describe('lib/backup/checksum', () => {
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-checksum-'))
  })

  afterEach(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  it('sha256Appending hashes a file while another process is still appending to it, to the last byte', async () => {
    const path = join(dir, 'growing')
    const file = await open(path, 'wx')
    // Writes 3 MB in three bursts with pauses, so the hash catches up with the end of the file in between.
    const writer = spawn('sh', ['-c', 'for i in 1 2 3; do head -c 1000000 /dev/urandom; sleep 0.2; done'], {stdio: ['ignore', file.fd, 'inherit']})
    await file.close()
    const hashed = await sha256Appending(path, once(writer, 'close'))
    expect(hashed.bytes).to.equal(3_000_000)
    expect(hashed.sha256).to.equal(await sha256File(path))
  })
})
