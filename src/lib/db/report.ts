import type pg from 'pg'

import {formatDuration} from '../duration.js'
import {OperationError} from '../errors.js'
import {renderTable} from '../output/table.js'
import {formatBytes, formatCount} from '../output/units.js'
import {compareNames} from '../text.js'
import {indexedTimeColumn} from './purge.js'
import {quoteIdent} from './target.js'
import {tableFigures} from './vacuum.js'

/**
 * `db report`: what the sizing guide asks an operator to watch (kasm-docs/sizing-and-deployment.txt,
 * Database Role): database size, the largest tables, the logs table (age, levels, dead rows,
 * vacuums), connections, and recommendations.
 */

export interface TableSize {
  table: string
  totalBytes: number
  tableBytes: number
  indexBytes: number
  /** The planner's estimate (reltuples, else n_live_tup): no table scan. */
  estimatedRows: number
  deadTuples: number
}

export interface LevelRows {
  level: string
  rows: number
  oldest: string | null
  newest: string | null
}

export interface LogsReport {
  totalBytes: number
  tableBytes: number
  indexBytes: number
  liveTuples: number
  deadTuples: number
  oldest: string | null
  newest: string | null
  levels: LevelRows[]
  /** True when counting took too long and the levels come from the planner's statistics (no oldest/newest then). */
  levelsEstimated: boolean
  lastVacuum: string | null
  lastAutovacuum: string | null
  lastAnalyze: string | null
  lastAutoanalyze: string | null
  autovacuumCount: number
}

/** Kasm 1.19's system_metrics table, which grows with time as logs does. */
export interface SystemMetricsReport {
  totalBytes: number
  tableBytes: number
  indexBytes: number
  liveTuples: number
  deadTuples: number
  /** The indexed timestamp column that dates its rows (read from the catalog); null when none can be told. */
  timeColumn: string | null
  oldest: string | null
  newest: string | null
  lastVacuum: string | null
  lastAutovacuum: string | null
}

export interface Recommendation {
  code: 'connections-high' | 'forward-logs' | 'log-cleanup-stalled' | 'vacuum-needed'
  severity: 'info' | 'warning'
  message: string
}

export interface RetentionUsed {
  logRetentionDays: number
  debugRetentionHours: number
  /** Kasm's log_protocol setting (where logs are forwarded), null with the defaults. */
  logProtocol: string | null
  /** "settings" (read through the API) or "defaults" (Kasm's defaults: 7 days, 4 hours). */
  source: 'defaults' | 'settings'
}

export interface DatabaseReport {
  database: {name: string; host: string; port: number; sizeBytes: number; serverVersion: string}
  tables: TableSize[]
  logs: LogsReport | null
  /** null when the database has no system_metrics table (Kasm before 1.19). */
  systemMetrics: SystemMetricsReport | null
  connections: {total: number; max: number; byState: Record<string, number>; byApplication: Array<{application: string; count: number}>}
  /** Live Kasm sessions (rows in kasms), when that table exists. */
  sessions: number | null
  retention: RetentionUsed
  recommendations: Recommendation[]
}

export const KASM_DEFAULT_RETENTION: RetentionUsed = {debugRetentionHours: 4, logProtocol: null, logRetentionDays: 7, source: 'defaults'}
/** Sizing guide: above ~50 concurrent sessions, forward logs to a SIEM and set retention to 0. */
const SESSIONS_FOR_SIEM = 50
/** Kasm's cleanup runs about hourly: allow this much beyond the retention before calling it stalled. */
const CLEANUP_GRACE_MS = 2 * 3_600_000
/** How long the exact per-level count may take before the report falls back to estimates. */
const LEVEL_COUNT_TIMEOUT_MS = 10_000

export async function buildReport(db: pg.Client, options: {retention?: RetentionUsed; topTables?: number} = {}): Promise<DatabaseReport> {
  const retention = options.retention ?? KASM_DEFAULT_RETENTION
  const {rows: info} = await db.query(
    `SELECT current_database() AS name, pg_database_size(current_database()) AS size,
            current_setting('server_version') AS version, current_setting('max_connections')::int AS max_connections,
            to_regclass('logs') IS NOT NULL AS has_logs, to_regclass('kasms') IS NOT NULL AS has_kasms,
            to_regclass('system_metrics') IS NOT NULL AS has_system_metrics`,
  )
  const [server] = info
  const tables = await largestTables(db, options.topTables ?? 10)
  const logs = server.has_logs ? await logsReport(db) : null
  const systemMetrics = server.has_system_metrics ? await systemMetricsReport(db) : null
  const connections = await connectionCounts(db, Number(server.max_connections))
  const sessions = server.has_kasms ? Number((await db.query('SELECT count(*) AS n FROM kasms')).rows[0].n) : null
  const report: DatabaseReport = {
    connections,
    database: {host: db.host, name: server.name, port: db.port, serverVersion: server.version, sizeBytes: Number(server.size)},
    logs,
    recommendations: [],
    retention,
    sessions,
    systemMetrics,
    tables,
  }
  report.recommendations = recommend(report)
  return report
}

async function largestTables(db: pg.Client, limit: number): Promise<TableSize[]> {
  const {rows} = await db.query(
    `SELECT c.oid::regclass::text AS table, pg_total_relation_size(c.oid) AS total, pg_relation_size(c.oid) AS heap,
            pg_indexes_size(c.oid) AS indexes,
            CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE coalesce(s.n_live_tup, 0) END AS rows,
            coalesce(s.n_dead_tup, 0) AS dead
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
      WHERE c.relkind IN ('r', 'p', 'm') AND n.nspname NOT IN ('pg_catalog', 'information_schema') AND n.nspname NOT LIKE 'pg_toast%'
      ORDER BY pg_total_relation_size(c.oid) DESC, 1 LIMIT $1`,
    [limit],
  )
  return rows.map((r) => ({
    deadTuples: Number(r.dead),
    estimatedRows: Number(r.rows),
    indexBytes: Number(r.indexes),
    table: r.table,
    tableBytes: Number(r.heap),
    totalBytes: Number(r.total),
  }))
}

async function logsReport(db: pg.Client): Promise<LogsReport> {
  const figures = await tableFigures(db, 'logs')
  const {rows: stats} = await db.query(
    `SELECT s.last_analyze, s.last_autoanalyze, s.autovacuum_count, (SELECT min(ingest_date) FROM logs) AS oldest, (SELECT max(ingest_date) FROM logs) AS newest
       FROM pg_stat_user_tables s WHERE s.relid = 'logs'::regclass`,
  )
  const [s] = stats
  const levels = await exactLevels(db)
  return {
    autovacuumCount: Number(s?.autovacuum_count ?? 0),
    deadTuples: figures.deadTuples,
    indexBytes: figures.indexBytes,
    lastAnalyze: iso(s?.last_analyze),
    lastAutoanalyze: iso(s?.last_autoanalyze),
    lastAutovacuum: figures.lastAutovacuum,
    lastVacuum: figures.lastVacuum,
    levels: levels ?? (await estimatedLevels(db)),
    levelsEstimated: levels === undefined,
    liveTuples: figures.liveTuples,
    newest: iso(s?.newest),
    oldest: iso(s?.oldest),
    tableBytes: figures.tableBytes,
    totalBytes: figures.totalBytes,
  }
}

async function systemMetricsReport(db: pg.Client): Promise<SystemMetricsReport> {
  const figures = await tableFigures(db, 'system_metrics')
  // No single indexed timestamp column is reported as null; a lost connection or a denied read still fails the report.
  const timeColumn = await indexedTimeColumn(db, 'system_metrics').catch((error: unknown) => {
    if (error instanceof OperationError && error.code === 'NO_TIME_COLUMN') return null
    throw error
  })
  const column = timeColumn && quoteIdent(timeColumn)
  const range = column
    ? (await db.query(`SELECT min(${column}) AS oldest, max(${column}) AS newest FROM system_metrics`)).rows[0]
    : {newest: null, oldest: null}
  return {
    deadTuples: figures.deadTuples,
    indexBytes: figures.indexBytes,
    lastAutovacuum: figures.lastAutovacuum,
    lastVacuum: figures.lastVacuum,
    liveTuples: figures.liveTuples,
    newest: iso(range.newest),
    oldest: iso(range.oldest),
    tableBytes: figures.tableBytes,
    timeColumn,
    totalBytes: figures.totalBytes,
  }
}

/** Rows per level with their age range: one scan, abandoned after LEVEL_COUNT_TIMEOUT_MS on a huge table. */
async function exactLevels(db: pg.Client): Promise<LevelRows[] | undefined> {
  await db.query(`BEGIN READ ONLY; SET LOCAL statement_timeout = '${LEVEL_COUNT_TIMEOUT_MS}ms'`)
  try {
    const {rows} = await db.query(
      `SELECT coalesce(levelname, '(none)') AS level, count(*) AS rows, min(ingest_date) AS oldest, max(ingest_date) AS newest
         FROM logs GROUP BY 1 ORDER BY 1`,
    )
    return rows.map((r) => ({level: r.level, newest: iso(r.newest), oldest: iso(r.oldest), rows: Number(r.rows)}))
  } catch (error) {
    if ((error as {code?: string}).code === '57014') return undefined
    throw error
  } finally {
    await db.query('ROLLBACK').catch(() => undefined)
  }
}

/** Rows per level from pg_stats' most common values × the table's row estimate. */
async function estimatedLevels(db: pg.Client): Promise<LevelRows[]> {
  const {rows} = await db.query(
    `SELECT u.level, round(u.freq * greatest(c.reltuples, 0))::bigint AS rows
       FROM pg_stats s, pg_class c, unnest(s.most_common_vals::text::text[], s.most_common_freqs) AS u(level, freq)
      WHERE s.tablename = 'logs' AND s.attname = 'levelname' AND c.oid = 'logs'::regclass ORDER BY 1`,
  )
  return rows.map((r) => ({level: r.level, newest: null, oldest: null, rows: Number(r.rows)}))
}

async function connectionCounts(db: pg.Client, max: number): Promise<DatabaseReport['connections']> {
  const {rows} = await db.query(
    `SELECT coalesce(state, 'unknown') AS state, coalesce(nullif(application_name, ''), '(none)') AS application, count(*) AS n
       FROM pg_stat_activity WHERE backend_type = 'client backend' GROUP BY 1, 2`,
  )
  const byState: Record<string, number> = {}
  const byApplication = new Map<string, number>()
  for (const r of rows) {
    byState[r.state] = (byState[r.state] ?? 0) + Number(r.n)
    byApplication.set(r.application, (byApplication.get(r.application) ?? 0) + Number(r.n))
  }

  return {
    byApplication: [...byApplication].map(([application, count]) => ({application, count})).sort((a, b) => b.count - a.count || compareNames(a.application, b.application)),
    byState,
    max,
    total: rows.reduce((t, r) => t + Number(r.n), 0),
  }
}

export function recommend(report: DatabaseReport, now = Date.now()): Recommendation[] {
  const out: Recommendation[] = []
  const {logs, retention} = report
  if (report.sessions !== null && report.sessions > SESSIONS_FOR_SIEM) {
    out.push({
      code: 'forward-logs',
      message: `${report.sessions} concurrent sessions (over ${SESSIONS_FOR_SIEM}): the sizing guide recommends forwarding logs to a SIEM (Settings → Logging) and setting retention to 0: kasmctl db retention set --days 0 --debug-hours 0`,
      severity: 'warning',
    })
  }

  if (logs?.oldest) {
    const age = now - Date.parse(logs.oldest)
    const allowed = retention.logRetentionDays * 86_400_000 + CLEANUP_GRACE_MS
    const debug = logs.levels.find((l) => l.level === 'DEBUG')
    const debugAge = debug?.oldest ? now - Date.parse(debug.oldest) : 0
    const debugAllowed = retention.debugRetentionHours * 3_600_000 + CLEANUP_GRACE_MS
    if (age > allowed || debugAge > debugAllowed) {
      const what = age > allowed ? `the oldest log row is ${formatDuration(age)} old (retention ${retention.logRetentionDays} days)` : `the oldest DEBUG row is ${formatDuration(debugAge)} old (debug retention ${retention.debugRetentionHours} hours)`
      out.push({code: 'log-cleanup-stalled', message: `Kasm's log cleanup looks stalled: ${what}. Run: kasmctl db logs purge`, severity: 'warning'})
    }
  }

  if (logs && logs.deadTuples > 1000 && logs.deadTuples > 0.2 * (logs.liveTuples + logs.deadTuples)) {
    out.push({
      code: 'vacuum-needed',
      message: `logs has ${formatCount(logs.deadTuples)} dead rows (${Math.round((100 * logs.deadTuples) / (logs.liveTuples + logs.deadTuples))}%) that autovacuum has not cleaned: run kasmctl db vacuum`,
      severity: 'warning',
    })
  }

  if (report.connections.total > 0.8 * report.connections.max) {
    out.push({code: 'connections-high', message: `${report.connections.total} of ${report.connections.max} connections in use`, severity: 'warning'})
  }

  return out
}

function iso(value: Date | null | undefined): string | null {
  return value ? value.toISOString() : null
}

export function renderReport(report: DatabaseReport): string {
  const {database: d, logs} = report
  const lines = [
    `Database ${d.name} on ${d.host}:${d.port} (PostgreSQL ${d.serverVersion}): ${formatBytes(d.sizeBytes)}`,
    '',
    renderTable(
      [
        {get: (t) => t.table, header: 'table'},
        {align: 'right', get: (t) => formatBytes(t.totalBytes), header: 'total'},
        {align: 'right', get: (t) => formatBytes(t.tableBytes), header: 'table'},
        {align: 'right', get: (t) => formatBytes(t.indexBytes), header: 'indexes'},
        {align: 'right', get: (t) => formatCount(t.estimatedRows), header: 'rows (est.)'},
        {align: 'right', get: (t) => formatCount(t.deadTuples), header: 'dead'},
      ],
      report.tables,
    ),
    '',
  ]
  if (logs) {
    const levels = logs.levels.map((l) => `${l.level} ${formatCount(l.rows)}${l.oldest ? ` (oldest ${l.oldest})` : ''}`).join(', ')
    lines.push(
      `logs: ${formatBytes(logs.totalBytes)}; ${formatCount(logs.liveTuples)} live rows, ${formatCount(logs.deadTuples)} dead; oldest ${logs.oldest ?? '-'}, newest ${logs.newest ?? '-'}`,
      `  per level${logs.levelsEstimated ? ' (estimated)' : ''}: ${levels || '-'}`,
      `  last vacuum ${logs.lastVacuum ?? 'never'}, last autovacuum ${logs.lastAutovacuum ?? 'never'} (${logs.autovacuumCount} so far), last analyze ${logs.lastAnalyze ?? logs.lastAutoanalyze ?? 'never'}`,
    )
  } else {
    lines.push('logs: no logs table in this database')
  }

  const metrics = report.systemMetrics
  lines.push(
    metrics
      ? `system_metrics: ${formatBytes(metrics.totalBytes)}; ${formatCount(metrics.liveTuples)} live rows, ${formatCount(metrics.deadTuples)} dead; oldest ${metrics.oldest ?? '-'}, newest ${metrics.newest ?? '-'} (trim it: kasmctl db logs purge --table system_metrics --older-than 30d)`
      : 'system_metrics: no such table (Kasm before 1.19)',
  )

  const states = Object.entries(report.connections.byState).map(([state, n]) => `${n} ${state}`).join(', ')
  lines.push(
    `Connections: ${report.connections.total} of ${report.connections.max} (${states || 'none'}); sessions: ${report.sessions ?? '-'}`,
    `Retention: ${report.retention.logRetentionDays} days, DEBUG ${report.retention.debugRetentionHours} hours (${report.retention.source === 'settings' ? "Kasm's settings" : "Kasm's defaults: the API was not asked"})`,
    '',
    report.recommendations.length === 0 ? 'Recommendations: none' : 'Recommendations:',
    ...report.recommendations.map((r) => `  - [${r.severity}] ${r.message}`),
  )
  return lines.join('\n')
}
