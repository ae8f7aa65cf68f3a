import {formatDuration} from '../duration.js'
import {renderTable} from '../output/table.js'
import {formatBytes, formatCount} from '../output/units.js'
import type {LevelCount, PurgeCutoffs, PurgeProgress, PurgeResult, PurgeTableName} from './purge.js'

/** The JSON documents of `db logs purge` (docs/json.md "db"). */

export interface PurgeCutoffsJson {
  /** Age of the rows deleted at every level, e.g. "7d", and the resulting timestamp (UTC). */
  olderThan: string
  cutoff: string
  debugOlderThan: string
  debugCutoff: string
  /** "flags", or "settings" when the ages came from Kasm's log_retention / debug_retention. */
  source: 'flags' | 'mixed' | 'settings'
}

export interface PurgeTargetJson {
  host: string
  port: number
  database: string
}

export interface PurgeDryRunJson {
  dryRun: true
  /** logs, or Kasm 1.19's system_metrics (--table). */
  table: PurgeTableName
  target: PurgeTargetJson
  cutoffs: PurgeCutoffsJson
  totalRows: number
  levels: Array<{level: string; rows: number; oldest: string | null; newest: string | null}>
}

export type PurgeJson = PurgeResult & {dryRun: false; table: PurgeTableName; target: PurgeTargetJson; cutoffs: PurgeCutoffsJson}

export function cutoffsJson(cutoffs: PurgeCutoffs, source: PurgeCutoffsJson['source'], format: (ms: number) => string): PurgeCutoffsJson {
  const iso = (text: string): string => new Date(`${text.replace(' ', 'T')}Z`).toISOString()
  return {
    cutoff: iso(cutoffs.cutoff),
    debugCutoff: iso(cutoffs.debugCutoff),
    debugOlderThan: format(cutoffs.debugOlderThanMs),
    olderThan: format(cutoffs.olderThanMs),
    source,
  }
}

export function dryRunJson(target: PurgeTargetJson, cutoffs: PurgeCutoffsJson, levels: LevelCount[], table: PurgeTableName = 'logs'): PurgeDryRunJson {
  return {
    cutoffs,
    dryRun: true,
    levels: levels.map((l) => ({level: l.level, newest: l.newest?.toISOString() ?? null, oldest: l.oldest?.toISOString() ?? null, rows: l.rows})),
    table,
    target,
    totalRows: levels.reduce((total, l) => total + l.rows, 0),
  }
}

export function describeCutoffs(c: PurgeCutoffsJson, table: PurgeTableName = 'logs'): string {
  if (table !== 'logs') return `${table} rows older than ${c.olderThan} (before ${c.cutoff})`
  return `rows older than ${c.olderThan} (before ${c.cutoff}) and DEBUG rows older than ${c.debugOlderThan} (before ${c.debugCutoff})`
}

export function renderDryRun(plan: PurgeDryRunJson): string {
  const head = `Dry run: would delete ${formatCount(plan.totalRows)} ${describeCutoffs(plan.cutoffs, plan.table)} from ${plan.target.database} on ${plan.target.host}:${plan.target.port}.`
  if (plan.levels.length === 0) return `${head}\nNothing to delete.`
  const table = renderTable(
    [
      {get: (l) => l.level, header: 'level'},
      {align: 'right', get: (l) => formatCount(l.rows), header: 'rows'},
      {get: (l) => l.oldest, header: 'oldest'},
      {get: (l) => l.newest, header: 'newest'},
    ],
    plan.levels,
  )
  return `${head}\n${table}\nNothing was deleted (dry run).`
}

export function renderPurge(result: PurgeJson): string {
  const lines = [
    `Deleted ${formatCount(result.deletedRows)} ${describeCutoffs(result.cutoffs, result.table)}.`,
    `${formatCount(result.batches)} batches in ${formatDuration(result.durationMs)} (${formatCount(result.rowsPerSecond)} rows/s); batch p50 ${result.batchMs.p50} ms, p99 ${result.batchMs.p99} ms, max ${result.batchMs.max} ms.`,
    `WAL written: ${formatBytes(result.walBytes)}. ${result.table} table: ${formatBytes(result.tableBytesBefore)} before, ${formatBytes(result.tableBytesAfter)} after.`,
  ]
  if (result.skippedLockedRows > 0) {
    lines.push(`Skipped ${formatCount(result.skippedLockedRows)} rows locked by another transaction (Kasm's own cleanup?): run the purge again later to take them.`)
  }

  if (result.deletedRows > 0) {
    lines.push('DELETE frees no disk until VACUUM: run `kasmctl db vacuum` to make the space reusable (`--full` in a maintenance window returns it to the OS).')
  }

  return lines.join('\n')
}

/** "12,345 rows deleted · 45,000 rows/s · 37% · ETA 12s" */
export function purgeProgressLine(p: PurgeProgress): string {
  const eta = p.etaMs === null ? '' : ` · ETA ${formatDuration(p.etaMs)}`
  const share = p.fraction === null ? '' : ` · ${Math.floor(p.fraction * 100)}%`
  return `${formatCount(p.deletedRows)} rows deleted · ${formatCount(Math.round(p.rowsPerSecond))} rows/s${share}${eta}`
}
