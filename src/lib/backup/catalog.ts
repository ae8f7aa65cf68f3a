import type {Stats} from 'node:fs'
import {readdir, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {OperationError} from '../errors.js'
import {compareNames} from '../text.js'
import {readChecksumFile, sha256File} from './checksum.js'
import {missingBackupDir, notADirectory} from './destination.js'
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
  /** True when the content was hashed for this listing. */
  checksumChecked: boolean
  /** Not a .partial and its manifest is present. */
  complete: boolean
  /**
   * Why the backup cannot be trusted (its size differs from the manifest's, its checksum does not
   * match...), or undefined when no check failed. A damaged backup is never `verified`.
   */
  damage?: string
  manifest?: BackupManifest
}

export interface ListBackupsOptions {
  /**
   * Hash every backup (reads every file in full). Default false: only what is cheap and decisive
   * (the size against the manifest), plus a hash of the backups never hashed since they were written.
   */
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
    if (code === 'ENOTDIR') throw notADirectory(dir)

    throw new OperationError(`cannot read backup directory ${dir}: ${code ?? (error as Error).message}`, {cause: error})
  }

  const entries: BackupEntry[] = []
  for (const file of names) {
    const parsed = parseBackupName(file)
    if (!parsed || (options.context && parsed.context !== options.context)) continue
    const path = join(dir, file)
    const info = await stat(path).catch(() => undefined)
    if (!info?.isFile()) continue
    entries.push(await describeBackup(path, file, parsed, info, options.checksums ?? false))
  }

  return entries.sort((a, b) => b.createdAt.getTime() - a.createdAt.getTime() || compareNames(b.file, a.file))
}

async function describeBackup(
  path: string,
  file: string,
  parsed: NonNullable<ReturnType<typeof parseBackupName>>,
  info: Stats,
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
    sizeBytes: info.size,
  }
  if (parsed.partial) return {...base, complete: false, verified: false}

  const [manifest, recorded] = await Promise.all([readManifest(path), readChecksumFile(path)])
  let damage = cheapDamage(info, manifest, recorded)
  const hash = recorded !== undefined && damage === undefined && (checksums || neverHashed(info, manifest))
  if (hash && (await sha256File(path)) !== recorded) damage = 'its content does not match its .sha256 (checksum mismatch)'
  return {
    ...base,
    checksumChecked: hash,
    complete: manifest !== undefined,
    compression: manifest?.options.compression ?? parsed.compression,
    ...(damage ? {damage} : {}),
    manifest,
    verified: recorded !== undefined && damage === undefined,
  }
}

/** What a stat and the two small files tell for certain: a size or a recorded hash that disagrees with the manifest. */
function cheapDamage(info: Stats, manifest: BackupManifest | undefined, recorded: string | undefined): string | undefined {
  if (typeof manifest?.sizeBytes === 'number' && manifest.sizeBytes !== info.size) {
    return `it has ${info.size} bytes where its manifest says ${manifest.sizeBytes} (truncated or overwritten)`
  }

  if (manifest && recorded !== undefined && manifest.sha256 !== recorded) return 'its .sha256 and its manifest record different checksums'
  return undefined
}

/**
 * kasmctl hashed the file as it wrote it (the manifest's sha256, finishedAt after the last write).
 * Without a manifest, or when the file changed after that (its mtime is later: copied, touched,
 * rewritten), its content has never been checked in this place.
 */
function neverHashed(info: Stats, manifest: BackupManifest | undefined): boolean {
  const finished = manifest ? Date.parse(manifest.finishedAt) : Number.NaN
  return Number.isNaN(finished) || info.mtimeMs > finished
}
