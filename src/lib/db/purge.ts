import type pg from 'pg'

import {LockedError, OperationError} from '../errors.js'
import {acquireAdvisoryLock, LOG_PURGE_LOCK, releaseAdvisoryLock} from './advisory-lock.js'
import {describeHolders, isConnectionLost, queryError, requireTable, SQLSTATE, sqlState, tableLockHolders} from './errors.js'
import {formatCount} from './format.js'

/**
 * The online log purge (issue #102's cleanup, done safely): rows older than the retention, and
 * DEBUG rows older than the debug retention, deleted in short autonomous transactions that each
 * cover one log_id range. Each batch is an index range scan on the primary key, so it never
 * rescans what earlier batches deleted (the `IN (SELECT … LIMIT)` shape does, and slows down batch
 * after batch: performance-notes.md §1).
 */

/** Where a row goes: older than `cutoff`, or DEBUG and older than `debugCutoff`. Cutoffs are naive UTC, as Kasm stores them. */
const MATCH = `(ingest_date < $1::timestamp OR (levelname = 'DEBUG' AND ingest_date < $2::timestamp))`

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
  /** Fixed id span per batch; default adapts toward `targetBatchMs`. */
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
}

export interface PurgeProgress {
  deletedRows: number
  batches: number
  elapsedMs: number
  rowsPerSecond: number
  /** Share of the key range walked, 0..1. */
  fraction: number
  etaMs: number | null
  batchSize: number
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

const MIN_SPAN = 100
const MAX_SPAN = 1_000_000
const INITIAL_SPAN = 2000
/** Attempts when the whole table is locked (VACUUM FULL, LOCK TABLE) before giving up. */
const TABLE_LOCK_RETRIES = 3

/** Fixes the cutoffs on the server's clock (now() in UTC, as Kasm writes ingest_date). */
export async function resolveCutoffs(db: pg.Client, olderThanMs: number, debugOlderThanMs: number): Promise<PurgeCutoffs> {
  const {rows} = await db.query<{cutoff: string; debug_cutoff: string}>(
    `SELECT ((now() AT TIME ZONE 'utc') - $1::bigint * interval '1 millisecond')::text AS cutoff,
            ((now() AT TIME ZONE 'utc') - $2::bigint * interval '1 millisecond')::text AS debug_cutoff`,
    [olderThanMs, debugOlderThanMs],
  )
  return {cutoff: rows[0].cutoff, debugCutoff: rows[0].debug_cutoff, debugOlderThanMs, olderThanMs}
}

/** What a purge would delete, per level, with the oldest and newest timestamps (one read-only scan). */
export async function countPurge(db: pg.Client, cutoffs: PurgeCutoffs): Promise<LevelCount[]> {
  await requireTable(db, 'logs', ['SELECT'])
  try {
    const {rows} = await db.query<{level: string; rows: string; oldest: Date | null; newest: Date | null}>(
      `SELECT coalesce(levelname, '(none)') AS level, count(*) AS rows, min(ingest_date) AS oldest, max(ingest_date) AS newest
         FROM logs WHERE ${MATCH} GROUP BY 1 ORDER BY 1`,
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
  await requireTable(db, 'logs', ['SELECT', 'DELETE'])
  await acquireAdvisoryLock(db, LOG_PURGE_LOCK)
  try {
    return await new Purge(db, cutoffs, options).run()
  } finally {
    // After a lost connection the lock is gone with the session; otherwise release it now.
    await releaseAdvisoryLock(db, LOG_PURGE_LOCK).catch(() => undefined)
  }
}

class Purge {
  private readonly durations: number[] = []
  private deleted = 0
  private skipped = 0
  private span: number
  private started = 0
  private readonly params: [string, string]

  constructor(
    private readonly db: pg.Client,
    cutoffs: PurgeCutoffs,
    private readonly options: PurgeOptions,
  ) {
    this.span = options.batchSize ?? INITIAL_SPAN
    this.params = [cutoffs.cutoff, cutoffs.debugCutoff]
  }

  async run(): Promise<PurgeResult> {
    this.started = performance.now()
    const before = await this.measure()
    const bounds = await this.bounds()
    const lockedRanges: Array<[bigint, bigint]> = []
    if (bounds) {
      const [first, last] = bounds
      for (let next = first; next <= last; ) {
        this.stopIfAborted()
        const end = next + BigInt(this.span) > last ? last + 1n : next + BigInt(this.span)
        const outcome = await this.batch(next, end)
        if (outcome === 'retry') continue
        if (outcome.skipped > 0) lockedRanges.push([next, end])
        this.progress(Number(end - first) / Number(last - first + 1n))
        await this.throttle()
        next = end
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

  /** The log_id range holding rows to delete (each bound found through an index); undefined when none. */
  private async bounds(): Promise<[bigint, bigint] | undefined> {
    const min = await this.query<{id: string | null}>(`SELECT min(log_id) AS id FROM logs WHERE ${MATCH}`, this.params, 'finding the rows to purge')
    if (min.rows[0].id === null) return undefined
    const max = await this.query<{id: string}>(`SELECT max(log_id) AS id FROM logs WHERE ${MATCH}`, this.params, 'finding the rows to purge')
    return [BigInt(min.rows[0].id), BigInt(max.rows[0].id)]
  }

  /**
   * One transaction over [from, to): a plain range DELETE bounded by lock_timeout and
   * statement_timeout. When a row lock makes it wait too long, the same range is deleted with
   * FOR UPDATE SKIP LOCKED instead, leaving only the locked rows. A statement timeout shrinks the batch.
   */
  private async batch(from: bigint, to: bigint, tableLockAttempt = 0): Promise<'retry' | {skipped: number}> {
    const started = performance.now()
    const range = [...this.params, from.toString(), to.toString()]
    try {
      const deleted = await this.transaction(async () => {
        const result = await this.db.query(`DELETE FROM logs WHERE log_id >= $3 AND log_id < $4 AND ${MATCH}`, range)
        return result.rowCount ?? 0
      })
      this.done(started, deleted)
      return {skipped: 0}
    } catch (error) {
      if (sqlState(error) === SQLSTATE.QUERY_CANCELED) return this.shrink(error)
      if (sqlState(error) !== SQLSTATE.LOCK_NOT_AVAILABLE) throw this.failure(error)
    }

    try {
      const {deleted, skipped} = await this.transaction(async () => {
        const result = await this.db.query(
          `DELETE FROM logs WHERE ctid = ANY (ARRAY(
             SELECT ctid FROM logs WHERE log_id >= $3 AND log_id < $4 AND ${MATCH} FOR UPDATE SKIP LOCKED))`,
          range,
        )
        const left = await this.db.query<{n: string}>(`SELECT count(*) AS n FROM logs WHERE log_id >= $3 AND log_id < $4 AND ${MATCH}`, range)
        return {deleted: result.rowCount ?? 0, skipped: Number(left.rows[0].n)}
      })
      this.done(started, deleted)
      return {skipped}
    } catch (error) {
      if (sqlState(error) === SQLSTATE.QUERY_CANCELED) return this.shrink(error)
      if (sqlState(error) !== SQLSTATE.LOCK_NOT_AVAILABLE) throw this.failure(error)
    }

    // Even SKIP LOCKED waited: the table itself is locked (VACUUM FULL, LOCK TABLE). Back off, then give up.
    if (tableLockAttempt >= TABLE_LOCK_RETRIES) {
      const holders = await tableLockHolders(this.db, 'logs').catch(() => [])
      throw new LockedError(`the logs table is locked${holders.length > 0 ? ` by ${describeHolders(holders)}` : ''}. ${this.state()}`, {
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
    const statementTimeout = Math.round(this.options.statementTimeoutMs ?? 2000)
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

  private done(started: number, deleted: number): void {
    const ms = performance.now() - started
    this.durations.push(ms)
    this.deleted += deleted
    if (this.options.batchSize !== undefined) return
    // Steer the span toward the target duration; at most double or halve at a time.
    const target = this.options.targetBatchMs ?? 100
    const factor = Math.min(2, Math.max(0.5, target / Math.max(ms, 1)))
    this.span = Math.round(Math.min(MAX_SPAN, Math.max(MIN_SPAN, this.span * factor)))
  }

  /** A batch hit statement_timeout (rolled back): retry the same range smaller, down to a floor. */
  private shrink(error: unknown): 'retry' {
    if (this.span <= MIN_SPAN) throw this.failure(error)
    this.span = Math.max(MIN_SPAN, Math.floor(this.span / 4))
    return 'retry'
  }

  private progress(fraction: number): void {
    if (!this.options.onProgress) return
    const elapsedMs = performance.now() - this.started
    this.options.onProgress({
      batchSize: this.span,
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
    const {rows} = await this.query<{size: string}>(`SELECT pg_total_relation_size('logs') AS size`, [], 'measuring the logs table')
    let wal: string | null = null
    let walBytes: number | null = null
    try {
      // Not available on a standby or on some managed services: then the WAL figure is left out.
      const lsn = await this.db.query<{lsn: string; diff: string | null}>(
        'SELECT pg_current_wal_lsn()::text AS lsn, pg_wal_lsn_diff(pg_current_wal_lsn(), $1::pg_lsn)::bigint AS diff',
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
    return queryError(error, 'deleting a batch of logs', {
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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => {
    setTimeout(resolve, ms)
  })
}
