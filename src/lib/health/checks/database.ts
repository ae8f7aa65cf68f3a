import type pg from 'pg'

import {connectDatabase} from '../../db/connect.js'
import {formatBytes, formatCount} from '../../output/units.js'
import {getRetention} from '../../db/retention.js'
import {formatAge} from '../../duration.js'
import {type CheckOutcome, errorMessage, type RunContext} from '../run-context.js'
import {above, grade} from '../status.js'
import type {HealthCheck} from '../types.js'

const DAY_S = 86_400
/** Below this many rows the dead-tuple ratio of `logs` says nothing. */
const MIN_ROWS_FOR_DEAD_RATIO = 1000
/** A cleanup stalled this many days past the retention is an emergency: the disk fills (issue #102). */
const RETENTION_CRITICAL_EXTRA_DAYS = 7

interface LogsStats {
  total_bytes: string
  /** null when the table was never analyzed and has no statistics yet. */
  estimate: null | string
  live: string
  dead: string
  oldest: Date | null
}

/**
 * The database (HA guide: its failure makes the entire platform unavailable): connection and
 * latency with the server version, sizes, the logs table (size, row estimate, dead tuples), the
 * oldest log row against Kasm's retention (a stalled cleanup, issue #102) and connections in use.
 */
export async function databaseChecks(run: RunContext): Promise<HealthCheck[]> {
  const target = databaseLabel(run)
  const started = performance.now()
  let db: pg.Client
  try {
    db = await connectDatabase(run.context, {applicationName: 'kasmctl health', connectTimeoutMs: run.timeoutMs})
  } catch (error) {
    return [await run.check('db', target, 'connect', async () => ({message: errorMessage(error), status: 'CRITICAL', threshold: null, unit: null, value: null}), {limited: false})]
  }

  try {
    const connectMs = Math.round(performance.now() - started)
    const {critical, warning} = run.thresholds.latencyMs
    // A SELECT without FROM always returns its one row.
    const stats = query<{version: string; size: string; used: string; max: string}>(
      db,
      `SELECT current_setting('server_version') AS version, pg_database_size(current_database())::text AS size,
              (SELECT count(*) FROM pg_stat_activity)::text AS used, current_setting('max_connections') AS max`,
    ).then((row) => row!)
    const logs = query<LogsStats>(
      db,
      `SELECT pg_total_relation_size(c.oid)::text AS total_bytes, (CASE WHEN c.reltuples >= 0 THEN c.reltuples::bigint ELSE s.n_live_tup END)::text AS estimate,
              coalesce(s.n_live_tup, 0)::text AS live, coalesce(s.n_dead_tup, 0)::text AS dead,
              (SELECT min(ingest_date) FROM logs) AS oldest
         FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
        WHERE c.oid = to_regclass('logs')`,
    )
    const checks = [
      run.check('db', target, 'connect', async () => {
        const {version} = await stats
        const threshold = above(warning, critical)
        return {message: `PostgreSQL ${version}, connected in ${connectMs} ms`, status: grade(connectMs, threshold), threshold, unit: 'ms', value: connectMs}
      }, {limited: false}),
      run.check('db', target, 'size', async () => {
        const size = Number((await stats).size)
        return {message: formatBytes(size), status: 'OK', threshold: null, unit: 'B', value: size}
      }, {limited: false}),
      run.check('db', target, 'connections', async () => connections(run, await stats), {limited: false}),
      run.check('db', target, 'logs-table', async () => {
        const row = await logs
        if (!row) return {message: 'no logs table', status: 'UNKNOWN', threshold: null, unit: null, value: null}
        const bytes = Number(row.total_bytes)
        const rows = row.estimate === null ? 'no row estimate yet (never analyzed)' : `about ${formatCount(Number(row.estimate))} rows`
        return {message: `${formatBytes(bytes)}, ${rows}`, status: 'OK', threshold: null, unit: 'B', value: bytes}
      }, {limited: false}),
      run.check('db', target, 'logs-dead-tuples', async () => deadTuples(run, await logs), {limited: false}),
      run.check('db', target, 'log-retention', async () => logRetention(run, await logs), {limited: false}),
    ]
    return await Promise.all(checks)
  } finally {
    await db.end().catch(() => undefined)
  }
}

function databaseLabel(run: RunContext): string {
  try {
    const url = new URL(run.context.database!.url)
    return `${url.hostname}:${url.port || 5432}${url.pathname}`
  } catch {
    return 'database'
  }
}

async function query<R extends object>(db: pg.Client, sql: string): Promise<R | undefined> {
  return (await db.query<R>(sql)).rows[0]
}

function connections(run: RunContext, row: {max: string; used: string}): CheckOutcome {
  const used = Number(row.used)
  const max = Number(row.max)
  const percent = Math.round((used / max) * 100)
  const {critical, warning} = run.thresholds.connectionsPercent
  const threshold = above(warning, critical)
  return {message: `${used} of max_connections ${max} in use (${percent}%)`, status: grade(percent, threshold), threshold, unit: '%', value: percent}
}

function deadTuples(run: RunContext, row: LogsStats | undefined): CheckOutcome {
  if (!row) return {message: 'no logs table', status: 'UNKNOWN', threshold: null, unit: null, value: null}
  const live = Number(row.live)
  const dead = Number(row.dead)
  const percent = live + dead === 0 ? 0 : Math.round((dead / (live + dead)) * 100)
  const threshold = above(run.thresholds.deadTupleWarningPercent, null)
  const counted = `${formatCount(dead)} dead of ${formatCount(live + dead)} rows (${percent}%)`
  const estimate = Number(row.estimate ?? 0)
  if (live + dead === 0 && estimate >= MIN_ROWS_FOR_DEAD_RATIO) {
    // PostgreSQL starts its row counts again after a restore, a crash (before 15) or pg_stat_reset().
    const message = `no row counts since PostgreSQL's statistics were reset (a restore, a crash or pg_stat_reset), though the table holds about ${formatCount(estimate)} rows: dead rows cannot be judged until autovacuum or \`kasmctl db vacuum\` analyzes it`
    return {message, status: 'OK', threshold, unit: '%', value: null}
  }

  if (live + dead < MIN_ROWS_FOR_DEAD_RATIO) return {message: `${counted}: too few rows to judge`, status: 'OK', threshold, unit: '%', value: percent}
  const status = grade(percent, threshold)
  return {message: status === 'OK' ? counted : `${counted}: autovacuum is behind; run \`kasmctl db vacuum\``, status, threshold, unit: '%', value: percent}
}

/** The oldest log row against log_retention (read through the API: settings are encrypted in the database). */
async function logRetention(run: RunContext, row: LogsStats | undefined): Promise<CheckOutcome> {
  if (!row) return {message: 'no logs table', status: 'UNKNOWN', threshold: null, unit: null, value: null}
  const {logRetentionDays} = await getRetention(await run.client())
  const threshold = above(logRetentionDays + 1, logRetentionDays + RETENTION_CRITICAL_EXTRA_DAYS)
  if (!row.oldest) return {message: `no log rows (retention ${logRetentionDays} days)`, status: 'OK', threshold, unit: 'd', value: 0}
  const ageSeconds = Math.max(0, (run.now.getTime() - row.oldest.getTime()) / 1000)
  const days = Math.round((ageSeconds / DAY_S) * 10) / 10
  const status = grade(days, threshold)
  const oldest = `oldest log row ${formatAge(row.oldest, run.now)} old, retention ${logRetentionDays} days`
  const advice = status === 'OK' ? '' : ": Kasm's log cleanup is stalled (issue #102); purge with `kasmctl db logs purge`"
  return {message: oldest + advice, status, threshold, unit: 'd', value: days}
}
