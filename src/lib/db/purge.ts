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
 * Every bound is found through that index: nothing scans the table. Each batch's end is measured
 * (the ingest_date N rows further on), never estimated from the planner's statistics: after a bulk
 * load since the last ANALYZE, `reltuples` can be wrong by orders of magnitude.
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
const LOGS_TABLE: PurgeTable = {debugRows: `levelname = 'DEBUG'`, level: `coalesce(levelname, '(none)')`, name: 'logs', timeColumn: 'ingest_date'}

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
  /**
   * Other connections to the same database, for the reads that can run beside the deletes (without
   * them they run between the batches: ~30% of a purge's time, bench/purge.mjs). `reader` measures
   * each next batch's bound while the batch before it deletes; `counter` counts the rows behind the
   * progress's share, which takes as long as several batches (on `reader` without it).
   */
  reader?: pg.Client
  counter?: pg.Client
  /** Start that count only once the purge has run this long (default at once): a purge over before anyone sees a share needs none. */
  countAfterMs?: number
}

export interface PurgeProgress {
  deletedRows: number
  batches: number
  elapsedMs: number
  rowsPerSecond: number
  /** Share of the rows in the purge's range walked (deleted or kept), 0..1; null while they are still being counted. */
  fraction: number | null
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

/** The first batch covers this many rows, then the size adapts (without --batch-size) within these bounds. */
const FIRST_BATCH_ROWS = 5000
const MAX_BATCH_ROWS = 250_000
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
  /** Rows the next batch covers at most (deleted or kept). */
  private limit = FIRST_BATCH_ROWS
  /** Rows walked past (deleted or kept), of `total` in the range. */
  private walked = 0
  /** Rows in the range, once counted (countAhead). */
  private total?: number
  private counting?: Promise<void>
  private readonly reader: pg.Client
  private readonly counter: pg.Client
  /** The last query sent to each side connection: a client runs one at a time, so each waits for the one before. */
  private readonly queues = new Map<pg.Client, Promise<unknown>>()
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
    this.reader = options.reader ?? db
    this.counter = options.counter ?? this.reader
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
      const {end} = bounds
      // Measured, so that a batch holds at most `limit` rows whatever the statistics say; none left ends the walk.
      // With a reader, the following batch's bound is measured there while this one deletes; on one
      // connection (which runs one query at a time) it is measured after.
      const ahead = this.reader !== this.db
      let bound = ahead ? this.nextBatch(bounds.first, end) : undefined
      for (let from = bounds.first; ; ) {
        this.stopIfAborted()
        await this.countWhenDue()
        const next = await (bound ?? this.nextBatch(from, end))
        if (!next) break
        bound = ahead ? this.nextBatch(next.to, end) : undefined
        const outcome = await this.batch(from, next.to)
        if (outcome === 'retry') {
          bound = undefined
          continue
        }

        if (outcome.skipped > 0) lockedRanges.push([from, next.to])
        this.walked += next.rows
        this.progress()
        await this.throttle()
        from = next.to
      }

      // A walk done before the count came in ends with one report that has its share.
      if (this.total === undefined && this.counting) {
        await this.counting
        this.progress()
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

  /** The time range to walk, from the oldest row to the later cutoff. */
  private async bounds(): Promise<{first: number; end: number} | undefined> {
    const inRange = `FROM ${this.name} WHERE ${this.time} < greatest($1::timestamp, $2::timestamp)`
    const {rows} = await this.query<{first: string | null}>(`SELECT ${asText(`(SELECT min(${this.time}) ${inRange})`)} AS first`, this.cutoffs, 'finding the rows to purge')
    const [{first}] = rows
    if (first === null) return undefined
    this.limit = this.batchLimit(this.options.batchSize ?? FIRST_BATCH_ROWS)
    return {end: Math.max(...this.cutoffs.map((c) => toMicros(c))), first: toMicros(first)}
  }

  /**
   * Counts the rows in the range for the progress, on the index (the statistics may be far off),
   * beside the batches, once `countAfterMs` has passed.
   */
  private async countWhenDue(): Promise<void> {
    if (this.counting || !this.options.onProgress) return
    if (performance.now() - this.started < (this.options.countAfterMs ?? 0)) return
    const inRange = `FROM ${this.name} WHERE ${this.time} < greatest($1::timestamp, $2::timestamp)`
    const count = this.ahead(this.query<{total: string}>(`SELECT count(*) AS total ${inRange}`, this.cutoffs, 'counting the rows to purge', this.counter))
    // The batches go on while it counts; the progress gives a share once the count is in. One
    // connection runs one query at a time: there, the count comes before the first batch.
    this.counting = count.then(
      (r) => {
        this.total = Number(r.rows[0].total)
      },
      () => undefined,
    )
    if (this.counter === this.db) await this.counting
  }

  /**
   * The next batch's range [from, to): up to the time of the `limit`-th row at or after `from` (so
   * it holds fewer than `limit` rows, except rows that share one timestamp), or to `end` when fewer
   * rows are left; undefined when no row is left before `end`.
   */
  private async nextBatch(from: number, end: number): Promise<{to: number; rows: number} | undefined> {
    // The batch in flight may resize `limit` before this answer comes: judge it by the limit it was asked with.
    const {limit} = this
    const query = this.query<{rows: string; last: string | null}>(
      `SELECT count(*) AS rows, ${asText('max(t)')} AS last
         FROM (SELECT ${this.time} AS t FROM ${this.name} WHERE ${this.time} >= $1::timestamp AND ${this.time} < $2::timestamp ORDER BY ${this.time} LIMIT $3) AS next`,
      [fromMicros(from), fromMicros(end), limit],
      'finding the rows to purge',
      this.reader,
    )
    const {rows} = await this.ahead(query)
    const count = Number(rows[0].rows)
    if (count === 0) return undefined
    if (count < limit) return {rows: count, to: end}
    const last = toMicros(rows[0].last!)
    // The last row starts the next batch; when every row shares `from`'s timestamp, they go together.
    return last > from ? {rows: count - 1, to: last} : {rows: count, to: from + 1}
  }

  /** A batch size within bounds, and never more rows than --max-rate allows in a second. */
  private batchLimit(rows: number): number {
    const cap = Math.min(this.options.batchSize ?? MAX_BATCH_ROWS, this.options.maxRate ?? Number.POSITIVE_INFINITY)
    return Math.max(1, Math.min(cap, Math.round(rows)))
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
    // synchronous_commit off: a batch does not wait for its WAL to reach the disk. A crash may undo the
    // last batches' deletes, never anything else, and the next purge deletes those rows again.
    await this.db.query(`BEGIN; SET LOCAL lock_timeout = '${lockTimeout}ms'; SET LOCAL statement_timeout = '${statementTimeout}ms'; SET LOCAL synchronous_commit = off`)
    try {
      const result = await work()
      await this.db.query('COMMIT')
      return result
    } catch (error) {
      await this.db.query('ROLLBACK').catch(() => undefined)
      throw error
    }
  }

  /** Records a committed batch and, without --batch-size, steers the next one's size toward `targetBatchMs`. */
  private done(started: number, deleted: number): void {
    const ms = performance.now() - started
    this.durations.push(ms)
    this.deleted += deleted
    if (deleted === 0 || this.options.batchSize !== undefined) return
    const factor = (this.options.targetBatchMs ?? 100) / Math.max(ms, 1)
    // Grow by half at most, shrink by half at most: one odd batch must not swing the next one far.
    this.limit = this.batchLimit(this.limit * Math.min(1.5, Math.max(0.5, factor)))
  }

  /** A batch hit statement_timeout (rolled back): retry from the same row with fewer rows, down to one. */
  private shrink(error: unknown): 'retry' {
    if (this.limit <= 1) throw this.failure(error)
    this.limit = Math.max(1, Math.floor(this.limit / 4))
    return 'retry'
  }

  private progress(): void {
    if (!this.options.onProgress) return
    // Rows written since the count (never in the range: they are newer than the cutoffs) cannot push it past 1.
    const fraction = this.total === undefined ? null : this.total > 0 ? Math.min(1, this.walked / this.total) : 1
    const elapsedMs = performance.now() - this.started
    this.options.onProgress({
      batches: this.durations.length,
      deletedRows: this.deleted,
      elapsedMs,
      etaMs: fraction ? (elapsedMs / fraction) * (1 - fraction) : null,
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

  private async query<R extends pg.QueryResultRow>(sql: string, params: unknown[], what: string, on = this.db): Promise<pg.QueryResult<R>> {
    try {
      if (on === this.db) return await on.query<R>(sql, params)
      const result = (this.queues.get(on) ?? Promise.resolve()).then(async () => on.query<R>(sql, params))
      this.queues.set(on, result.catch(() => undefined))
      return await result
    } catch (error) {
      throw queryError(error, what, {details: this.stateDetails(), state: this.state()})
    }
  }

  /** A read started ahead of its use: when the purge fails before it is used, its failure must not go unhandled. */
  private ahead<T>(read: Promise<T>): Promise<T> {
    read.catch(() => undefined)
    return read
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
