import {readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {OperationError} from '../errors.js'
import {readChecksumFile, sha256File} from './checksum.js'
import {missingBackupDir} from './destination.js'
import {type BackupManifest, readManifest} from './manifest.js'
import {type BackupCompression, type BackupFormat, parseBackupName} from './naming.js'

export interface BackupEntry {
  file: string
  path: string
  /** The context slug in the file name. */
  context: string
  /** From the UTC timestamp in the file name. */
  createdAt: Date
  sizeBytes: number
  format: BackupFormat
  compression: BackupCompression
  /**
   * The .sha256 file is present, names this file and agrees with the manifest; with
   * `{checksums: true}` the file's content was also hashed and matched.
   */
  verified: boolean
  /** True when the content was hashed for `verified` (listBackups with checksums: true). */
  checksumChecked: boolean
  /** Not a .partial and its manifest is present. */
  complete: boolean
  manifest?: BackupManifest
}

export interface ListBackupsOptions {
  /** Hash every backup (reads every file in full). Default false: cheap. */
  checksums?: boolean
  /** Only backups of this context (slug as in the file name). */
  context?: string
}

/** The backups in a directory (complete ones and leftover .partial files), newest first. */
export async function listBackups(dir: string, options: ListBackupsOptions = {}): Promise<BackupEntry[]> {
  let names: string[]
  try {
    names = await readdir(dir)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') throw missingBackupDir(dir)

    throw new OperationError(`cannot read backup directory ${dir}: ${code ?? (error as Error).message}`, {cause: error})
  }

  const entries: BackupEntry[] = []
  for (const file of names) {
    const parsed = parseBackupName(file)
    if (!parsed || (options.context && parsed.context !== options.context)) continue
    const path = join(dir, file)
    const info = await stat(path).catch(() => undefined)
    if (!info?.isFile()) continue
    entries.push(await describeBackup(path, file, parsed, info.size, options.checksums ?? false))
  }

  return entries.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || b.file.localeCompare(a.file))
}

async function describeBackup(
  path: string,
  file: string,
  parsed: NonNullable<ReturnType<typeof parseBackupName>>,
  sizeBytes: number,
  checksums: boolean,
): Promise<BackupEntry> {
  const base = {
    checksumChecked: false,
    compression: parsed.compression,
    context: parsed.context,
    createdAt: parsed.createdAt,
    file,
    format: parsed.format,
    path,
    sizeBytes,
  }
  if (parsed.partial) return {...base, complete: false, verified: false}

  const [manifest, recorded] = await Promise.all([readManifest(path), readChecksumFile(path)])
  let verified = recorded !== undefined && (manifest === undefined || manifest.sha256 === recorded)
  if (verified && checksums) verified = (await sha256File(path)) === recorded
  return {
    ...base,
    checksumChecked: checksums && recorded !== undefined,
    complete: manifest !== undefined,
    compression: manifest?.options.compression ?? parsed.compression,
    manifest,
    verified,
  }
}
