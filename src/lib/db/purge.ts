import {setTimeout as sleep} from 'node:timers/promises'
import type pg from 'pg'

import {LockedError, OperationError} from '../errors.js'
import {acquireAdvisoryLock, LOG_PURGE_LOCK, releaseAdvisoryLock} from './advisory-lock.js'
import {describeHolders, isConnectionLost, queryError, requireTable, SQLSTATE, sqlState, tableLockHolders} from './errors.js'
import {formatCount} from '../output/units.js'
import {quoteIdent} from './target.js'

/**
 * The online log purge (issue #102's cleanup, done safely): rows older than the retention, and
 * DEBUG rows older than the debug retention, deleted in short autonomous transactions that each
 * cover one ingest_date range. Each batch is a range scan on the ingest_date index that starts
 * where the previous one ended, so it never rescans what earlier batches deleted (the
 * `IN (SELECT … LIMIT)` shape does, and slows down batch after batch: performance-notes.md §1).
 * Every bound is found through that index: nothing scans the table.
 */

/** A table the purge trims: rows dated by `timeColumn` (indexed), some also at the debug cutoff. */
export interface PurgeTable {
  name: string
  timeColumn: string
  /** Rows that also go at the debug cutoff (logs: DEBUG); 'false' when none do. */
  debugRows: string
  /** How the dry run groups rows. */
  level: string
}

/** Kasm's logs: ingest_date, and DEBUG rows at debug_retention. */
export const LOGS_TABLE: PurgeTable = {debugRows: `levelname = 'DEBUG'`, level: `coalesce(levelname, '(none)')`, name: 'logs', timeColumn: 'ingest_date'}

/** The tables `db logs purge --table` can trim: logs, and Kasm 1.19's system_metrics, which grows the same way. */
export const PURGE_TABLES = ['logs', 'system_metrics'] as const
export type PurgeTableName = (typeof PURGE_TABLES)[number]

/**
 * The table to purge. system_metrics (Kasm 1.19) has no level; which column dates its rows is read
 * from the catalog: its one timestamp column that leads a btree index (the purge walks that index).
 * Kasm's schema for it was not available to check, so no column name is assumed.
 */
export async function resolvePurgeTable(db: pg.Client, name: PurgeTableName): Promise<PurgeTable> {
  if (name === 'logs') return LOGS_TABLE
  await requireTable(db, name, ['SELECT'])
  const timeColumn = await indexedTimeColumn(db, name)
  return {debugRows: 'false', level: `'(all)'`, name, timeColumn: quoteIdent(timeColumn)}
}

/** The table's single timestamp column that is the first column of a btree index (the table must exist). */
export async function indexedTimeColumn(db: pg.Client, table: string): Promise<string> {
  const {rows} = await db.query<{column: string; indexed: boolean}>(
    `SELECT a.attname AS column,
            EXISTS (SELECT 1 FROM pg_index i JOIN pg_class ic ON ic.oid = i.indexrelid JOIN pg_am am ON am.oid = ic.relam
                     WHERE i.indrelid = a.attrelid AND i.indkey[0] = a.attnum AND am.amname = 'btree') AS indexed
       FROM pg_attribute a
      WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped
        AND a.atttypid IN ('timestamp'::regtype, 'timestamptz'::regtype)
      ORDER BY a.attnum`,
    [table],
  )
  const indexed = rows.filter((r) => r.indexed)
  if (indexed.length === 1) return indexed[0].column
  throw new OperationError(
    `cannot tell which column dates the rows of ${table}: ${indexed.length === 0 ? 'no indexed timestamp column' : 'several indexed timestamp columns'} (timestamp columns: ${rows.map((r) => r.column).join(', ') || 'none'})`,
    {code: 'NO_TIME_COLUMN', details: {columns: rows, table}, hint: `inspect it with \`\\d ${table}\` in psql; kasmctl purges only along an indexed timestamp`},
  )
}

/** A timestamp as text to the microsecond, whatever the session's DateStyle (toMicros reads it). */
const asText = (expression: string): string => `to_char(${expression}, 'YYYY-MM-DD HH24:MI:SS.US')`

/** The statements of one table: where a row goes (older than `cutoff`, or a debug row older than `debugCutoff`; naive UTC, as Kasm stores them), and one batch [$3, $4). */
function statements(table: PurgeTable): {match: string; range: string} {
  const t = table.timeColumn
  const match = `(${t} < $1::timestamp OR (${table.debugRows} AND ${t} < $2::timestamp))`
  return {match, range: `${t} >= $3::timestamp AND ${t} < $4::timestamp AND ${match}`}
}

export interface PurgeCutoffs {
  /** Ages in ms, as given (flags or retention settings). */
  olderThanMs: number
  debugOlderThanMs: number
  /** Server-side cutoff timestamps (text, naive UTC), fixed for the whole run. */
  cutoff: string
  debugCutoff: string
}

export interface LevelCount {
  level: string
  rows: number
  oldest: Date | null
  newest: Date | null
}

export interface PurgeOptions {
  /** Aim for about this many rows per batch; default: adapt toward `targetBatchMs`. */
  batchSize?: number
  targetBatchMs?: number
  /** Upper bound on rows deleted per second (sleeps between batches). */
  maxRate?: number
  /** Per batch: how long to wait for a row lock before skipping, and the batch's hard limit. */
  lockTimeoutMs?: number
  statementTimeoutMs?: number
  /** Checked between batches: the batch in flight finishes and commits, then the purge stops. */
  signal?: AbortSignal
  onProgress?: (progress: PurgeProgress) => void
  /** Default: Kasm's logs. */
  table?: PurgeTable
}

export interface PurgeProgress {
  deletedRows: number
  batches: number
  elapsedMs: number
  rowsPerSecond: number
  /** Share of the time range walked, 0..1. */
  fraction: number
  etaMs: number | null
}

export interface PurgeResult {
  deletedRows: number
  batches: number
  durationMs: number
  rowsPerSecond: number
  batchMs: {p50: number; p99: number; max: number}
  /** Rows left because another transaction held them locked (Kasm's own cleanup): a rerun takes them. */
  skippedLockedRows: number
  /** WAL the server wrote during the purge (all sessions); null when the server does not tell. */
  walBytes: number | null
  tableBytesBefore: number
  tableBytesAfter: number
}

/** The first batch aims at this many rows (from the table's row estimate), then the size adapts. */
const FIRST_BATCH_ROWS = 5000
/** A batch never covers less than a millisecond of log time. */
const MIN_SPAN_US = 1000
/** Attempts when the whole table is locked (VACUUM FULL, LOCK TABLE) before giving up. */
const TABLE_LOCK_RETRIES = 3

/** Fixes the cutoffs on the server's clock (now() in UTC, as Kasm writes ingest_date). */
export async function resolveCutoffs(db: pg.Client, olderThanMs: number, debugOlderThanMs: number): Promise<PurgeCutoffs> {
  const {rows} = await db.query<{cutoff: string; debug_cutoff: string}>(
    `SELECT ${asText(`(now() AT TIME ZONE 'utc') - $1::bigint * interval '1 millisecond'`)} AS cutoff,
            ${asText(`(now() AT TIME ZONE 'utc') - $2::bigint * interval '1 millisecond'`)} AS debug_cutoff`,
    [olderThanMs, debugOlderThanMs],
  )
  return {cutoff: rows[0].cutoff, debugCutoff: rows[0].debug_cutoff, debugOlderThanMs, olderThanMs}
}

/** What a purge would delete, per level, with the oldest and newest timestamps (one read-only scan). */
export async function countPurge(db: pg.Client, cutoffs: PurgeCutoffs, table: PurgeTable = LOGS_TABLE): Promise<LevelCount[]> {
  await requireTable(db, table.name, ['SELECT'])
  try {
    const {rows} = await db.query<{level: string; rows: string; oldest: Date | null; newest: Date | null}>(
      `SELECT ${table.level} AS level, count(*) AS rows, min(${table.timeColumn}) AS oldest, max(${table.timeColumn}) AS newest
         FROM ${table.name} WHERE ${statements(table).match} GROUP BY 1 ORDER BY 1`,
      [cutoffs.cutoff, cutoffs.debugCutoff],
    )
    return rows.map((r) => ({...r, rows: Number(r.rows)}))
  } catch (error) {
    throw queryError(error, 'counting the rows to purge')
  }
}

/**
 * Deletes the rows that match the cutoffs, batch by batch. Every batch commits on its own: an
 * interruption (signal, lost connection, restart) loses nothing, and running it again finishes.
 */
export async function purgeLogs(db: pg.Client, cutoffs: PurgeCutoffs, options: PurgeOptions = {}): Promise<PurgeResult> {
  const table = options.table ?? LOGS_TABLE
  await requireTable(db, table.name, ['SELECT', 'DELETE'])
  // One purge at a time per database, whatever the table.
  await acquireAdvisoryLock(db, LOG_PURGE_LOCK)
  try {
    return await new Purge(db, cutoffs, table, options).run()
  } finally {
    // After a lost connection the lock is gone with the session; otherwise release it now.
    await releaseAdvisoryLock(db, LOG_PURGE_LOCK).catch(() => undefined)
  }
}

class Purge {
  private readonly durations: number[] = []
  private deleted = 0
  private skipped = 0
  /** Width of the next batch, in microseconds of ingest_date. */
  private span = 0
  private started = 0
  private readonly cutoffs: [string, string]
  private readonly range: string
  private readonly name: string
  private readonly time: string

  constructor(
    private readonly db: pg.Client,
    cutoffs: PurgeCutoffs,
    table: PurgeTable,
    private readonly options: PurgeOptions,
  ) {
    this.cutoffs = [cutoffs.cutoff, cutoffs.debugCutoff]
    this.range = statements(table).range
    this.name = table.name
    this.time = table.timeColumn
  }

  async run(): Promise<PurgeResult> {
    this.started = performance.now()
    const before = await this.measure()
    const bounds = await this.bounds()
    const lockedRanges: Array<[number, number]> = []
    if (bounds) {
      const {first, end} = bounds
      for (let from = first; from < end; ) {
        this.stopIfAborted()
        const to = Math.min(end, from + this.span)
        const outcome = await this.batch(from, to)
        if (outcome === 'retry') continue
        if (outcome.skipped > 0) lockedRanges.push([from, to])
        this.progress((to - first) / (end - first))
        await this.throttle()
        // An empty range (a gap in the logs, e.g. Kasm was down): jump to the next row instead of widening the span.
        from = outcome.deleted === 0 && to < end ? ((await this.nextRow(to, end)) ?? end) : to
      }

      // Rows skipped because another transaction held them: one more try now that time has passed.
      this.skipped = 0
      for (const [from, to] of lockedRanges) {
        this.stopIfAborted()
        const outcome = await this.batch(from, to)
        if (outcome !== 'retry') this.skipped += outcome.skipped
      }
    }

    const after = await this.measure(before.wal)
    const durationMs = performance.now() - this.started
    const sorted = [...this.durations].sort((a, b) => a - b)
    const pick = (q: number): number => (sorted.length === 0 ? 0 : Math.round(sorted[Math.min(sorted.length - 1, Math.ceil(q * sorted.length) - 1)]))
    return {
      batchMs: {max: pick(1), p50: pick(0.5), p99: pick(0.99)},
      batches: this.durations.length,
      deletedRows: this.deleted,
      durationMs: Math.round(durationMs),
      rowsPerSecond: Math.round(this.deleted / Math.max(durationMs / 1000, 0.001)),
      skippedLockedRows: this.skipped,
      tableBytesAfter: after.size,
      tableBytesBefore: before.size,
      walBytes: after.walBytes,
    }
  }

  /**
   * The time range to walk: from the oldest row to the later cutoff (both through the index),
   * and the first batch's width from the table's row estimate, assuming rows spread evenly in time.
   */
  private async bounds(): Promise<{first: number; end: number} | undefined> {
    const {rows} = await this.query<{first: string | null; last: string | null; rows: number}>(
      `SELECT ${asText(`(SELECT min(${this.time}) FROM ${this.name} WHERE ${this.time} < greatest($1::timestamp, $2::timestamp))`)} AS first,
              ${asText(`(SELECT max(${this.time}) FROM ${this.name})`)} AS last,
              (SELECT greatest(reltuples, 0) FROM pg_class WHERE oid = '${this.name}'::regclass)::float8 AS rows`,
      this.cutoffs,
      'finding the rows to purge',
    )
    const [{first, last, rows: estimate}] = rows
    if (first === null || last === null) return undefined
    const start = toMicros(first)
    const end = Math.max(...this.cutoffs.map((c) => toMicros(c)))
    const perMicro = Math.max(estimate, 1) / Math.max(toMicros(last) - start, 1)
    this.span = Math.max(MIN_SPAN_US, Math.round((this.options.batchSize ?? FIRST_BATCH_ROWS) / perMicro))
    return {end, first: start}
  }

  private async nextRow(from: number, end: number): Promise<number | undefined> {
    const {rows} = await this.query<{next: string | null}>(
      `SELECT ${asText(`min(${this.time})`)} AS next FROM ${this.name} WHERE ${this.time} >= $1::timestamp AND ${this.time} < $2::timestamp`,
      [fromMicros(from), fromMicros(end)],
      'finding the rows to purge',
    )
    return rows[0].next === null ? undefined : toMicros(rows[0].next)
  }

  /**
   * One transaction over [from, to): a plain range DELETE bounded by lock_timeout and
   * statement_timeout. When a row lock makes it wait too long, the same range is deleted with
   * FOR UPDATE SKIP LOCKED instead, leaving only the locked rows. A statement timeout shrinks the batch.
   */
  private async batch(from: number, to: number, tableLockAttempt = 0): Promise<'retry' | {deleted: number; skipped: number}> {
    const started = performance.now()
    const params = [...this.cutoffs, fromMicros(from), fromMicros(to)]
    try {
      const deleted = await this.transaction(async () => (await this.db.query(`DELETE FROM ${this.name} WHERE ${this.range}`, params)).rowCount ?? 0)
      this.done(started, deleted)
      return {deleted, skipped: 0}
    } catch (error) {
      if (sqlState(error) === SQLSTATE.QUERY_CANCELED) return this.shrink(error)
      if (sqlState(error) !== SQLSTATE.LOCK_NOT_AVAILABLE) throw this.failure(error)
    }

    try {
      const {deleted, skipped} = await this.transaction(async () => {
        const result = await this.db.query(`DELETE FROM ${this.name} WHERE ctid = ANY (ARRAY(SELECT ctid FROM ${this.name} WHERE ${this.range} FOR UPDATE SKIP LOCKED))`, params)
        const left = await this.db.query<{n: string}>(`SELECT count(*) AS n FROM ${this.name} WHERE ${this.range}`, params)
        return {deleted: result.rowCount ?? 0, skipped: Number(left.rows[0].n)}
      })
      this.done(started, deleted)
      return {deleted, skipped}
    } catch (error) {
      if (sqlState(error) === SQLSTATE.QUERY_CANCELED) return this.shrink(error)
      if (sqlState(error) !== SQLSTATE.LOCK_NOT_AVAILABLE) throw this.failure(error)
    }

    // Even SKIP LOCKED waited: the table itself is locked (VACUUM FULL, LOCK TABLE). Back off, then give up.
    if (tableLockAttempt >= TABLE_LOCK_RETRIES) {
      const holders = await tableLockHolders(this.db, this.name).catch(() => [])
      throw new LockedError(`the ${this.name} table is locked${holders.length > 0 ? ` by ${describeHolders(holders)}` : ''}. ${this.state()}`, {
        details: {...this.stateDetails(), pids: holders.map((h) => h.pid)},
        hint: 'wait for that session to finish (VACUUM FULL or maintenance), then run the purge again',
      })
    }

    await sleep(1000 * 2 ** tableLockAttempt)
    return this.batch(from, to, tableLockAttempt + 1)
  }

  /** BEGIN; SET LOCAL timeouts; work; COMMIT — rolled back on any error. */
  private async transaction<T>(work: () => Promise<T>): Promise<T> {
    const lockTimeout = Math.round(this.options.lockTimeoutMs ?? 200)
    const statementTimeout = Math.round(this.options.statementTimeoutMs ?? 1000)
    await this.db.query(`BEGIN; SET LOCAL lock_timeout = '${lockTimeout}ms'; SET LOCAL statement_timeout = '${statementTimeout}ms'`)
    try {
      const result = await work()
      await this.db.query('COMMIT')
      return result
    } catch (error) {
      await this.db.query('ROLLBACK').catch(() => undefined)
      throw error
    }
  }

  /** Records a committed batch and steers the next one's width: toward `batchSize` rows, or `targetBatchMs`. */
  private done(started: number, deleted: number): void {
    const ms = performance.now() - started
    this.durations.push(ms)
    this.deleted += deleted
    if (deleted === 0) return
    const factor = this.options.batchSize === undefined ? (this.options.targetBatchMs ?? 100) / Math.max(ms, 1) : this.options.batchSize / deleted
    // Grow by half at most, shrink by half at most: one odd batch must not swing the next one far.
    this.span = Math.max(MIN_SPAN_US, Math.round(this.span * Math.min(1.5, Math.max(0.5, factor))))
  }

  /** A batch hit statement_timeout (rolled back): retry the same range narrower, down to a floor. */
  private shrink(error: unknown): 'retry' {
    if (this.span <= MIN_SPAN_US) throw this.failure(error)
    this.span = Math.max(MIN_SPAN_US, Math.floor(this.span / 4))
    return 'retry'
  }

  private progress(fraction: number): void {
    if (!this.options.onProgress) return
    const elapsedMs = performance.now() - this.started
    this.options.onProgress({
      batches: this.durations.length,
      deletedRows: this.deleted,
      elapsedMs,
      etaMs: fraction > 0 ? (elapsedMs / fraction) * (1 - fraction) : null,
      fraction,
      rowsPerSecond: this.deleted / Math.max(elapsedMs / 1000, 0.001),
    })
  }

  private async throttle(): Promise<void> {
    if (!this.options.maxRate) return
    const due = (this.deleted / this.options.maxRate) * 1000 - (performance.now() - this.started)
    if (due > 0) await sleep(due)
  }

  private stopIfAborted(): void {
    if (!this.options.signal?.aborted) return
    throw new OperationError(`the purge was interrupted. ${this.state()}`, {
      code: 'INTERRUPTED',
      details: this.stateDetails(),
      hint: 'run the same command again to finish',
    })
  }

  private async measure(walStart?: string | null): Promise<{size: number; wal: string | null; walBytes: number | null}> {
    const {rows} = await this.query<{size: string}>(`SELECT pg_total_relation_size('${this.name}') AS size`, [], `measuring the ${this.name} table`)
    let wal: string | null = null
    let walBytes: number | null = null
    try {
      // WAL inserted (not yet flushed counts too). Not available on a standby or some managed services: then left out.
      const lsn = await this.db.query<{lsn: string; diff: string | null}>(
        'SELECT pg_current_wal_insert_lsn()::text AS lsn, pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1::pg_lsn)::bigint AS diff',
        [walStart ?? '0/0'],
      )
      wal = lsn.rows[0].lsn
      walBytes = walStart ? Number(lsn.rows[0].diff) : null
    } catch (error) {
      if (isConnectionLost(error)) throw this.failure(error)
    }

    return {size: Number(rows[0].size), wal, walBytes}
  }

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[], what: string): Promise<pg.QueryResult<R>> {
    try {
      return await this.db.query<R>(sql, params)
    } catch (error) {
      throw queryError(error, what, {details: this.stateDetails(), state: this.state()})
    }
  }

  private failure(error: unknown): Error {
    return queryError(error, `deleting a batch of ${this.name}`, {
      details: this.stateDetails(),
      hint: isConnectionLost(error) ? 'when the database is back, run the same command again to finish' : undefined,
      state: `${this.state()} The batch in flight was rolled back.`,
    })
  }

  private state(): string {
    return `${formatCount(this.deleted)} rows were deleted in ${this.durations.length} committed batches, and stay deleted; run the purge again to finish.`
  }

  private stateDetails(): Record<string, unknown> {
    return {batches: this.durations.length, deletedRows: this.deleted}
  }
}

/** "2026-11-14 07:40:10.398647" (naive UTC, as PostgreSQL prints a timestamp) → microseconds since the epoch. */
export function toMicros(timestamp: string): number {
  const match = /^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2})(?:\.(\d{1,6}))?$/.exec(timestamp)
  if (!match) throw new OperationError(`unexpected timestamp from the database: "${timestamp}"`)
  const [, date, time, fraction = ''] = match
  return Date.parse(`${date}T${time}Z`) * 1000 + Number(fraction.padEnd(6, '0'))
}

/** The inverse of toMicros. */
export function fromMicros(micros: number): string {
  const seconds = Math.floor(micros / 1_000_000)
  const fraction = String(micros - seconds * 1_000_000).padStart(6, '0')
  return `${new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ')}.${fraction}`
}
