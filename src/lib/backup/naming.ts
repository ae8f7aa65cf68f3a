import {UsageError, listValues} from '../errors.js'

/** pg_dump archive formats kasmctl writes. `tar` is what Kasm's own db_restore reads. */
export type BackupFormat = 'custom' | 'tar'
export const BACKUP_FORMATS: readonly BackupFormat[] = ['tar', 'custom']

/**
 * How the archive is compressed. zstd and gzip run as separate processes (`zstd -3`, `gzip -1`) fed by
 * pg_dump's stdout, except gzip with the custom format, which is pg_dump's own `-Z1`.
 */
export type BackupCompression = 'gzip' | 'none' | 'zstd'
export const BACKUP_COMPRESSIONS: readonly BackupCompression[] = ['zstd', 'gzip', 'none']

export const PARTIAL_SUFFIX = '.partial'
export const CHECKSUM_SUFFIX = '.sha256'
export const MANIFEST_SUFFIX = '.manifest.json'

const EXTENSIONS: Record<BackupFormat, Record<BackupCompression, string>> = {
  custom: {gzip: 'dump', none: 'dump', zstd: 'dump.zst'},
  tar: {gzip: 'tar.gz', none: 'tar', zstd: 'tar.zst'},
}

/** kasm_db_<context>_<YYYYMMDDTHHMMSSZ>.<ext>[.partial] */
const NAME = /^kasm_db_(.+)_(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z\.(tar|tar\.gz|tar\.zst|dump|dump\.zst)(\.partial)?$/

export interface ParsedBackupName {
  context: string
  createdAt: Date
  format: BackupFormat
  /** From the extension; `.dump` may be gzip (pg_dump's internal -Z) or none: the manifest says which. */
  compression: BackupCompression
  partial: boolean
}

export function backupExtension(format: BackupFormat, compression: BackupCompression): string {
  return EXTENSIONS[format][compression]
}

/** A context name made safe for a file name (it appears in the name so one directory can hold several contexts). */
export function contextSlug(context: string): string {
  return context.replaceAll(/[^\w.-]+/g, '-').replace(/^-+|-+$/g, '') || 'default'
}

export function backupFileName(context: string, createdAt: Date, format: BackupFormat, compression: BackupCompression): string {
  const stamp = createdAt.toISOString().replace(/\.\d{3}Z$/, 'Z').replaceAll(/[-:]/g, '')
  return `kasm_db_${contextSlug(context)}_${stamp}.${backupExtension(format, compression)}`
}

export function parseBackupName(file: string): ParsedBackupName | undefined {
  const match = NAME.exec(file)
  if (!match) return undefined
  const [, context, year, month, day, hour, minute, second, ext, partial] = match
  const createdAt = new Date(Date.UTC(+year, +month - 1, +day, +hour, +minute, +second))
  const format: BackupFormat = ext.startsWith('tar') ? 'tar' : 'custom'
  const compression: BackupCompression = ext.endsWith('.zst') ? 'zstd' : ext.endsWith('.gz') || ext === 'dump' ? 'gzip' : 'none'
  return {compression, context, createdAt, format, partial: partial !== undefined}
}

export function parseFormat(value: string): BackupFormat {
  if (!BACKUP_FORMATS.includes(value as BackupFormat)) {
    throw new UsageError(`format "${value}" is not one of ${listValues(BACKUP_FORMATS)}`)
  }

  return value as BackupFormat
}
