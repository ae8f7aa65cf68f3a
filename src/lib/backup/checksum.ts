import {createHash} from 'node:crypto'
import {open, readFile} from 'node:fs/promises'
import {basename} from 'node:path'

import {pauseUnless} from '../duration.js'
import {writeFileAtomic} from '../fs-util.js'
import {CHECKSUM_SUFFIX} from './naming.js'

export const checksumPath = (backupPath: string): string => `${backupPath}${CHECKSUM_SUFFIX}`

/** SHA-256 of a file, read through one reused 1 MiB buffer: memory stays flat whatever the file size. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(1024 * 1024)
  const handle = await open(path, 'r')
  try {
    for (let read = 0; (read = (await handle.read(buffer, 0, buffer.length, null)).bytesRead) > 0; ) hash.update(buffer.subarray(0, read))
  } finally {
    await handle.close()
  }

  return hash.digest('hex')
}

/**
 * Hashes a file while other processes append to it, following its end until `writersDone` settles,
 * then reading to the last byte. Only for outputs written strictly in order (pg_dump's tar format,
 * a compressor's stream): the custom format seeks back to rewrite its table of contents.
 */
export async function sha256Appending(path: string, writersDone: Promise<unknown>): Promise<{sha256: string; bytes: number}> {
  let done = false
  const finished = writersDone.then(
    () => (done = true),
    () => (done = true),
  )
  const hash = createHash('sha256')
  const buffer = Buffer.allocUnsafe(1024 * 1024)
  const handle = await open(path, 'r')
  let position = 0
  try {
    for (;;) {
      const writersFinished = done // checked before the read: a read after they finished sees every byte
      const {bytesRead} = await handle.read(buffer, 0, buffer.length, position)
      if (bytesRead > 0) {
        hash.update(buffer.subarray(0, bytesRead))
        position += bytesRead
      } else if (writersFinished) {
        break
      } else {
        await pauseUnless(20, finished) // wakes at once when the writers finish
      }
    }
  } finally {
    await handle.close()
  }

  return {bytes: position, sha256: hash.digest('hex')}
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
