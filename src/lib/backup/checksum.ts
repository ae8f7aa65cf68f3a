import {createHash, type Hash} from 'node:crypto'
import {createReadStream} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {basename} from 'node:path'
import {Transform, type TransformCallback} from 'node:stream'
import {pipeline} from 'node:stream/promises'

import {writeFileAtomic} from '../fs-util.js'
import {CHECKSUM_SUFFIX} from './naming.js'

export const checksumPath = (backupPath: string): string => `${backupPath}${CHECKSUM_SUFFIX}`

/** SHA-256 of a file, streamed. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  await pipeline(createReadStream(path, {highWaterMark: 1024 * 1024}), hash)
  return hash.digest('hex')
}

/** A pass-through stream that hashes what flows through it, so the dump is hashed while it is written. */
export class HashingStream extends Transform {
  private readonly hash: Hash = createHash('sha256')
  bytes = 0

  _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.hash.update(chunk)
    this.bytes += chunk.length
    callback(null, chunk)
  }

  digest(): string {
    return this.hash.digest('hex')
  }
}

/** Writes `<file>.sha256` in `sha256sum -c` format ("<hex>  <name>"), checkable from the backup directory. */
export async function writeChecksumFile(backupPath: string, sha256: string): Promise<void> {
  await writeFileAtomic(checksumPath(backupPath), `${sha256}  ${basename(backupPath)}\n`, 0o600)
}

/** The hash recorded for a backup in its .sha256 file, or undefined when missing or not for this file. */
export async function readChecksumFile(backupPath: string): Promise<string | undefined> {
  let text: string
  try {
    text = await readFile(checksumPath(backupPath), 'utf8')
  } catch {
    return undefined
  }

  const match = /^([\da-f]{64}) [ *](.+)$/m.exec(text.trim())
  return match && match[2] === basename(backupPath) ? match[1] : undefined
}
