import {formatAge, formatDuration} from '../duration.js'
import {type Column, renderTable} from '../output/table.js'
import type {BackupEntry} from './catalog.js'
import type {BackupPlan, CreateBackupResult} from './create.js'
import type {RetentionDecision} from './retention.js'
import type {RowCountCheck, VerifyResult} from './verify.js'
import {formatBytes} from '../output/units.js'

/** `backup create --json` (docs/json.md). */
export interface BackupCreateJson {
  file: string
  path: string
  sizeBytes: number
  sha256: string
  durationMs: number
  format: string
  compression: string
  via: string
  excludeLogs: boolean
  serverVersion: string
  alembicRevision: string | null
  rowCounts: Record<string, number>
  removed: RemovedJson[]
}

export interface RemovedJson {
  file: string
  createdAt: string
  reason: string
}

/** A backup retention left alone because it failed a check (`backup prune --json`). */
export interface DamagedJson {
  file: string
  createdAt: string
  reason: string
}

export function damagedJson(entries: BackupEntry[]): DamagedJson[] {
  return entries.map((entry) => ({createdAt: entry.createdAt.toISOString(), file: entry.file, reason: entry.damage ?? ''}))
}

export function removedJson(decisions: RetentionDecision[]): RemovedJson[] {
  return decisions.map(({entry, reason}) => ({createdAt: entry.createdAt.toISOString(), file: entry.file, reason}))
}

export function createJson({manifest, path, removed}: CreateBackupResult): BackupCreateJson {
  return {
    alembicRevision: manifest.database.alembicRevision ?? null,
    compression: manifest.options.compression,
    durationMs: manifest.durationMs,
    excludeLogs: manifest.options.excludeLogs,
    file: manifest.file,
    format: manifest.options.format,
    path,
    removed: removedJson(removed),
    rowCounts: manifest.rowCounts,
    serverVersion: manifest.database.serverVersion,
    sha256: manifest.sha256,
    sizeBytes: manifest.sizeBytes,
    via: manifest.via,
  }
}

/** `backup create --dry-run --json` (docs/json.md). */
export interface BackupPlanJson {
  dryRun: true
  database: string
  via: string
  pgDumpVersion: string
  path: string
  format: string
  compression: string
  excludeLogs: boolean
  wouldRemove: RemovedJson[]
  damaged: DamagedJson[]
}

export function planJson(plan: BackupPlan, options: {format: string; compression: string; excludeLogs: boolean}): BackupPlanJson {
  return {
    compression: options.compression,
    damaged: damagedJson(plan.retention?.damaged ?? []),
    database: plan.endpoint.description,
    dryRun: true,
    excludeLogs: options.excludeLogs,
    format: options.format,
    path: plan.path,
    pgDumpVersion: plan.pgDumpVersion,
    via: plan.endpoint.via,
    wouldRemove: removedJson(plan.retention?.remove ?? []),
  }
}

export function renderPlan(json: BackupPlanJson): string {
  return [
    `would dump ${json.database} (via ${json.via}, pg_dump ${json.pgDumpVersion}${json.excludeLogs ? ', without the rows of logs' : ''})`,
    `  to ${json.path} (${json.format}${json.compression === 'none' ? '' : `+${json.compression}`}), with its .sha256 and manifest`,
    ...renderRemoved(json.wouldRemove, true),
    ...json.damaged.map((d) => `would leave damaged ${d.file} alone (${d.reason})`),
  ].join('\n')
}

export function renderCreated(json: BackupCreateJson): string {
  const lines = [
    `backup written: ${json.path}`,
    `  ${formatBytes(json.sizeBytes)} in ${formatDuration(json.durationMs)} (${json.format}, ${json.compression}, via ${json.via}), sha256 ${json.sha256.slice(0, 16)}…`,
  ]
  return [...lines, ...renderRemoved(json.removed, false)].join('\n')
}

export function renderRemoved(removed: RemovedJson[], dryRun: boolean): string[] {
  return removed.map((r) => `${dryRun ? 'would remove' : 'removed'} ${r.file} (${r.reason})`)
}

/** `backup list --json` entry. */
export interface BackupListEntryJson {
  file: string
  path: string
  context: string
  createdAt: string
  sizeBytes: number
  format: string
  compression: string
  complete: boolean
  verified: boolean
  checksumChecked: boolean
  /** Why the backup cannot be trusted, or null. */
  damaged: string | null
  excludeLogs: boolean | null
  serverVersion: string | null
  alembicRevision: string | null
  rowCounts: Record<string, number> | null
}

export function listEntryJson(entry: BackupEntry): BackupListEntryJson {
  const {manifest} = entry
  return {
    alembicRevision: manifest?.database.alembicRevision ?? null,
    checksumChecked: entry.checksumChecked,
    complete: entry.complete,
    compression: entry.compression,
    context: entry.context,
    createdAt: entry.createdAt.toISOString(),
    damaged: entry.damage ?? null,
    excludeLogs: manifest?.options.excludeLogs ?? null,
    file: entry.file,
    format: entry.format,
    path: entry.path,
    rowCounts: manifest?.rowCounts ?? null,
    serverVersion: manifest?.database.serverVersion ?? null,
    sizeBytes: entry.sizeBytes,
    verified: entry.verified,
  }
}

export function renderBackupList(entries: BackupListEntryJson[], now = new Date()): string {
  if (entries.length === 0) return 'no backups'
  const damaged = entries.filter((e) => e.damaged).map((e) => `${e.file}: DAMAGED, ${e.damaged}`)
  const columns: Column<BackupListEntryJson>[] = [
    {get: (e) => e.createdAt.replace('.000Z', 'Z'), header: 'time'},
    {get: (e) => formatAge(new Date(e.createdAt), now), header: 'age'},
    {align: 'right', get: (e) => formatBytes(e.sizeBytes), header: 'size'},
    {get: (e) => `${e.format}${e.compression === 'none' ? '' : `+${e.compression}`}`, header: 'format'},
    {get: (e) => (e.excludeLogs ? 'no' : e.excludeLogs === false ? 'yes' : '-'), header: 'logs'},
    {get: status, header: 'status'},
    {get: (e) => e.file, header: 'file'},
  ]
  return [renderTable(columns, entries), ...(damaged.length > 0 ? ['', ...damaged] : [])].join('\n')
}

function status(e: BackupListEntryJson): string {
  if (!e.complete) return e.file.endsWith('.partial') ? 'partial' : 'incomplete'
  if (e.damaged) return 'DAMAGED'
  if (!e.verified) return 'unverified'
  return e.checksumChecked ? 'verified' : 'ok'
}

export function renderVerify(result: VerifyResult): string {
  const lines = [`${result.file}: ${result.ok ? 'OK' : 'FAILED'}`]
  for (const check of result.checks) lines.push(`  [${check.ok ? '+' : '-'}] ${check.name}: ${check.message}`)
  if (result.rowCounts && result.rowCounts.length > 0) {
    const columns: Column<RowCountCheck>[] = [
      {get: (r) => r.table, header: 'table'},
      {align: 'right', get: (r) => r.expected, header: 'manifest'},
      {align: 'right', get: (r) => r.restored, header: 'restored'},
    ]
    lines.push('', ...renderTable(columns, result.rowCounts).split('\n').map((line) => `  ${line}`))
  }

  return lines.join('\n')
}
