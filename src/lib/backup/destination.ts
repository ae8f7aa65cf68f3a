import {access, constants, readdir, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'

import type {ContextConfig} from '../config/types.js'
import {NotFoundError, OperationError, UsageError} from '../errors.js'
import {acquireLock, type Lock} from '../lock.js'
import {CHECKSUM_SUFFIX, MANIFEST_SUFFIX, parseBackupName} from './naming.js'

/** --dest, else the context's backup.dir. */
export function backupDir(dest: string | undefined, context: ContextConfig | undefined): string {
  const dir = dest ?? context?.backup?.dir
  if (!dir) {
    throw new UsageError('no backup directory: pass --dest DIR or set backup.dir in the context', {
      hint: 'e.g. `kasmctl backup create --dest /var/backups/kasm`',
    })
  }

  return dir
}

export function missingBackupDir(dir: string): NotFoundError {
  return new NotFoundError(`backup directory ${dir} does not exist`, {hint: `create it with \`mkdir -m 700 -p ${dir}\``})
}

export function notADirectory(dir: string): UsageError {
  return new UsageError(`backup destination ${dir} is not a directory`, {hint: 'give --dest (or backup.dir in the context) a directory'})
}

/** The destination must exist, be a directory and be writable; otherwise nothing is started. */
export async function checkDestination(dir: string): Promise<void> {
  const info = await stat(dir).catch((error: NodeJS.ErrnoException) => {
    if (error.code === 'ENOENT') throw missingBackupDir(dir)
    throw new OperationError(`cannot use backup directory ${dir}: ${error.code ?? error.message}`)
  })
  if (!info.isDirectory()) throw notADirectory(dir)
  try {
    await access(dir, constants.W_OK)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    throw new OperationError(`backup directory ${dir} is not writable (${code === 'EROFS' ? 'read-only file system' : code})`, {
      code: 'DEST_NOT_WRITABLE',
      hint: 'choose a writable --dest, or fix its permissions',
    })
  }
}

export const lockPath = (dir: string): string => join(dir, '.kasmctl-backup.lock')

/** One lock per backup directory: create and prune never run at the same time on it. */
export async function lockBackupDir(dir: string, purpose: string, onWarning: (message: string) => void): Promise<Lock> {
  return acquireLock(lockPath(dir), {onWarning, purpose}).catch((error: Error) => {
    throw (error.cause as NodeJS.ErrnoException | undefined)?.code === 'ENOSPC' ? destinationFull(dir) : error
  })
}

export function destinationFull(dir: string): OperationError {
  return new OperationError(`no space left in ${dir}: no backup was written, older backups untouched`, {
    code: 'DEST_FULL',
    hint: 'free space there (e.g. `kasmctl backup prune --keep N`), use --exclude-logs, or choose another --dest',
  })
}

/**
 * Removes what an interrupted run left (a .partial that was killed with SIGKILL, a .sha256 or manifest
 * whose backup never got renamed into place). Only call while holding the directory's lock.
 */
export async function removeLeftovers(dir: string): Promise<string[]> {
  const names = await readdir(dir)
  const present = new Set(names)
  const leftovers = names.filter((name) => {
    if (parseBackupName(name)?.partial) return true
    for (const suffix of [CHECKSUM_SUFFIX, MANIFEST_SUFFIX]) {
      if (name.endsWith(suffix) && parseBackupName(name.slice(0, -suffix.length)) && !present.has(name.slice(0, -suffix.length))) return true
    }

    return false
  })
  for (const name of leftovers) await rm(join(dir, name), {force: true})
  return leftovers
}
