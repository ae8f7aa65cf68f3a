import {readFile} from 'node:fs/promises'

import {writeFileAtomic} from '../fs-util.js'
import {MANIFEST_SUFFIX} from './naming.js'
import type {BackupCompression, BackupFormat} from './naming.js'

/** Written beside every backup as `<file>.manifest.json` (mode 0600). Documented in docs/json.md. */
export interface BackupManifest {
  manifestVersion: 1
  kasmctlVersion: string
  context: string
  file: string
  database: {
    name: string
    /** e.g. "15.4" */
    serverVersion: string
    serverVersionNum: number
    /** Kasm's schema revision (alembic_version). */
    alembicRevision?: string
    installationId?: string
  }
  pgDumpVersion: string
  via: 'docker' | 'local'
  options: {format: BackupFormat; compression: BackupCompression; excludeLogs: boolean}
  startedAt: string
  finishedAt: string
  durationMs: number
  sizeBytes: number
  sha256: string
  /**
   * Rows per key table, counted in the very snapshot pg_dump exported from (pg_dump --snapshot),
   * so a restore of this file has exactly these counts. `logs` is absent with --exclude-logs.
   */
  rowCounts: Record<string, number>
}

export const manifestPath = (backupPath: string): string => `${backupPath}${MANIFEST_SUFFIX}`

export async function writeManifest(backupPath: string, manifest: BackupManifest): Promise<void> {
  await writeFileAtomic(manifestPath(backupPath), `${JSON.stringify(manifest, null, 2)}\n`, 0o600)
}

/** The manifest beside a backup, or undefined when it is missing or unreadable. */
export async function readManifest(backupPath: string): Promise<BackupManifest | undefined> {
  try {
    const parsed = JSON.parse(await readFile(manifestPath(backupPath), 'utf8')) as BackupManifest
    return parsed.manifestVersion === 1 ? parsed : undefined
  } catch {
    return undefined
  }
}
