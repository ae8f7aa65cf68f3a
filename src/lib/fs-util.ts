import {randomBytes} from 'node:crypto'
import {access, constants, mkdir, open, readFile, rename, rm, stat} from 'node:fs/promises'
import {dirname, join, basename} from 'node:path'

import {UsageError} from './errors.js'

/** A fresh temporary name beside `path` (same directory, so a rename over `path` is atomic; a dot name, skipped by globs). */
export function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.${randomBytes(6).toString('hex')}.tmp`)
}

/**
 * Writes a file atomically: a temp file in the same directory, fsynced, renamed over the target.
 * A crash leaves either the old file or the new one, never half of either.
 */
export async function writeFileAtomic(path: string, data: string | Uint8Array, mode = 0o600): Promise<void> {
  await mkdir(dirname(path), {recursive: true, mode: 0o700})
  const tmp = tempPathFor(path)
  const handle = await open(tmp, 'wx', mode)
  try {
    await handle.writeFile(data)
    await handle.chmod(mode) // open() mode is filtered by the umask
    await handle.sync()
  } catch (error) {
    await handle.close()
    await rm(tmp, {force: true})
    throw error
  }
  await handle.close()
  await rename(tmp, path)
}

/** The file's text, or undefined when it does not exist (any other error is thrown). */
export async function readFileIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
}

/**
 * A file that a run writes at its end (a log line, metrics) is checked before the work starts, so a
 * run never does its work and then fails on its report: a directory, a parent that is not a
 * directory, or a place that cannot be written is a usage error naming the flag and the path.
 * A missing file is fine when its nearest existing parent is a writable directory (it is created).
 */
export async function checkOutputFile(path: string, flag: string): Promise<void> {
  const bad = (why: string): UsageError => new UsageError(`${flag} ${path}: ${why}`, {hint: `give ${flag} the path of a file in a writable directory`})
  const info = await stat(path).catch(() => undefined)
  if (info?.isDirectory()) throw bad('is a directory')
  let target = info ? path : dirname(path)
  if (!info) {
    // The nearest parent that exists must be a directory (the rest is created with it).
    for (;;) {
      const parent = await stat(target).catch(() => undefined) // ENOENT, or ENOTDIR below a file: found on the way up
      if (parent?.isDirectory()) break
      if (parent) throw bad(`${target} is not a directory`)
      if (dirname(target) === target) break
      target = dirname(target)
    }
  }

  await access(target, constants.W_OK).catch((error: NodeJS.ErrnoException) => {
    throw bad(`${target} is not writable (${error.code === 'EROFS' ? 'read-only file system' : error.code})`)
  })
}
