import {expect} from 'chai'
import {setTimeout as sleep} from 'node:timers/promises'
import type pg from 'pg'

import {LOG_PURGE_LOCK} from '../../../src/lib/db/advisory-lock.js'
import {connectAgain, connectDatabase} from '../../../src/lib/db/connect.js'
import {countPurge, fromMicros, purgeLogs, type PurgeOptions, type PurgeProgress, type PurgeResult, resolveCutoffs, toMicros} from '../../../src/lib/db/purge.js'
import {AuthError, type KasmctlError, LockedError, NotFoundError, UnavailableError} from '../../../src/lib/errors.js'
import type {TestSandbox} from '../../helpers/sandbox.js'
import {countLogs, DEBUG_OLDER_THAN, OLDER_THAN, seedBands, survivors, withResetSandbox} from './fixture.js'

describe('lib/db/purge', () => {
  let sandbox: TestSandbox
  let admin: pg.Client

  withResetSandbox((s, a) => {
    sandbox = s
    admin = a
  })

  beforeEach(async () => {
    await seedBands(admin)
  })

  /** Purges as Kasm's user (kasmapp over SSL), with the fixture's 7d / 4h cutoffs. */
  async function purge(options: PurgeOptions = {}, db?: pg.Client): Promise<PurgeResult> {
    const client = db ?? (await connectDatabase(sandbox.context))
    try {
      return await purgeLogs(client, await resolveCutoffs(client, OLDER_THAN, DEBUG_OLDER_THAN), options)
    } finally {
      if (!db) await client.end()
    }
  }

  async function rejection(promise: Promise<unknown>): Promise<KasmctlError> {
    try {
      await promise
    } catch (error) {
      return error as KasmctlError
    }

    throw new Error('expected a rejection')
  }

  it('deletes rows of every level past the cutoff and DEBUG rows past the debug cutoff, and touches nothing newer', async () => {
    const before = await survivors(admin)
    const result = await purge({batchSize: 700})
    expect(result.deletedRows).to.equal(2000 + 500) // the old band, and the middle band's DEBUG quarter
    expect(result.batches).to.be.greaterThan(1)
    expect(await survivors(admin)).to.deep.equal(before)
    expect(await countLogs(admin)).to.equal(before.rows)
    expect(result.tableBytesAfter).to.equal(result.tableBytesBefore) // DELETE frees no disk until VACUUM
    expect(result.walBytes).to.be.greaterThan(0)
    expect(result.skippedLockedRows).to.equal(0)
  })

  it('counts what would go per level in a dry run, with the oldest and newest row, and deletes nothing', async () => {
    const db = await connectDatabase(sandbox.context)
    try {
      const levels = await countPurge(db, await resolveCutoffs(db, OLDER_THAN, DEBUG_OLDER_THAN))
      const {rows: expected} = await admin.query(
        `SELECT levelname AS level, count(*)::int AS rows, min(ingest_date) AS oldest, max(ingest_date) AS newest
           FROM logs WHERE data->>'band' = 'old' OR (data->>'band' = 'middle' AND levelname = 'DEBUG') GROUP BY 1 ORDER BY 1`,
      )
      expect(levels.map((l) => [l.level, l.rows, l.oldest?.getTime(), l.newest?.getTime()])).to.deep.equal(
        expected.map((e) => [e.level, e.rows, e.oldest.getTime(), e.newest.getTime()]),
      )
      expect(await countLogs(admin)).to.equal(6000)
    } finally {
      await db.end()
    }
  })

  it('runs beside a live writer and reader: their rows stay and none of their statements fails', async () => {
    const writer = await connectDatabase(sandbox.context)
    const reader = await connectDatabase(sandbox.context)
    let running = true
    let written = 0
    let reads = 0
    const load = Promise.all([
      (async () => {
        while (running) {
          await writer.query(`INSERT INTO logs (host, levelname, data) VALUES ('webapp-1', 'DEBUG', '{"band": "live"}')`)
          written++
        }
      })(),
      (async () => {
        while (running) {
          await reader.query('SELECT log_id, levelname FROM logs ORDER BY ingest_date DESC LIMIT 50')
          reads++
        }
      })(),
    ])
    try {
      const before = await survivors(admin)
      const result = await purge({batchSize: 200})
      running = false
      await load
      expect(result.deletedRows).to.equal(2500)
      expect(written).to.be.greaterThan(0)
      expect(reads).to.be.greaterThan(0)
      expect(await countLogs(admin, `data->>'band' = 'live'`)).to.equal(written)
      expect(await survivors(admin)).to.deep.equal(before)
    } finally {
      running = false
      await load.catch(() => undefined)
      await writer.end()
      await reader.end()
    }
  })

  it('keeps every committed batch when the database restarts mid-purge, and a rerun finishes the job', async () => {
    const before = await survivors(admin)
    await admin.end()
    const db = await connectDatabase(sandbox.context)
    let stopping: Promise<void> | undefined
    const error = await rejection(
      purgeLogs(db, await resolveCutoffs(db, OLDER_THAN, DEBUG_OLDER_THAN), {
        batchSize: 100,
        maxRate: 2000,
        onProgress(p) {
          if (p.deletedRows >= 500) stopping ??= sandbox.stopDatabase()
        },
      }),
    )
    await stopping
    await db.end().catch(() => undefined)
    await sandbox.startDatabase()
    admin = await sandbox.db()

    expect(error).to.be.instanceOf(UnavailableError)
    expect(error.message).to.include('connection was lost').and.include('stay deleted')
    const committed = error.details?.deletedRows as number
    expect(committed).to.be.at.least(500)
    expect(6000 - (await countLogs(admin))).to.be.at.least(committed).and.below(2500)

    const rerun = await purge()
    expect(committed + rerun.deletedRows).to.be.within(2500 - 100, 2500) // a batch whose COMMIT raced the shutdown counts on the server only
    expect(await countLogs(admin)).to.equal(before.rows)
    expect(await survivors(admin)).to.deep.equal(before)
  })

  it('refuses to start while another session holds the purge lock, naming that session (exit 75)', async () => {
    const other = await sandbox.db()
    try {
      const {rows} = await other.query('SELECT pg_backend_pid() AS pid, pg_advisory_lock($1, $2)', [LOG_PURGE_LOCK.classId, LOG_PURGE_LOCK.objectId])
      const error = await rejection(purge())
      expect(error).to.be.instanceOf(LockedError)
      expect(error.exitCode).to.equal(75)
      expect(error.message).to.include(`pid ${rows[0].pid}`)
      expect(error.details?.pid).to.equal(rows[0].pid)
      expect(await countLogs(admin)).to.equal(6000)
    } finally {
      await other.end()
    }
  })

  it('skips rows another transaction holds locked instead of waiting, and a rerun takes them', async () => {
    const holder = await sandbox.db()
    try {
      await holder.query('BEGIN')
      await holder.query(`SELECT log_id FROM logs WHERE data->>'band' = 'old' ORDER BY log_id LIMIT 10 FOR UPDATE`)
      const result = await purge({lockTimeoutMs: 50})
      // The purge finished while the lock was still held: it never waits for it.
      expect(result.skippedLockedRows).to.equal(10)
      expect(result.deletedRows).to.equal(2500 - 10)
      expect(await countLogs(admin, `data->>'band' = 'old'`)).to.equal(10)
      await holder.query('ROLLBACK')
      expect((await purge()).deletedRows).to.equal(10)
      expect(await countLogs(admin, `data->>'band' = 'old'`)).to.equal(0)
    } finally {
      await holder.end()
    }
  })

  it('refuses a database user without the DELETE privilege on logs, and changes nothing (exit 77)', async () => {
    await admin.query(`CREATE ROLE kasmctl_test_reader LOGIN PASSWORD 'reader-password'`)
    try {
      await admin.query('GRANT SELECT ON logs TO kasmctl_test_reader')
      const reader = await connectDatabase({
        ...sandbox.context,
        database: {password: {value: 'reader-password'}, url: `postgres://kasmctl_test_reader@127.0.0.1:${sandbox.state.postgres.port}/kasm?sslmode=require`},
      })
      const error = await rejection(purge({}, reader).finally(() => reader.end()))
      expect(error).to.be.instanceOf(AuthError)
      expect(error.exitCode).to.equal(77)
      expect(error.message).to.equal('database user kasmctl_test_reader lacks the DELETE privilege on logs')
      expect(error.hint).to.include('GRANT DELETE ON logs TO kasmctl_test_reader')
      expect(await countLogs(admin)).to.equal(6000)
    } finally {
      await admin.query('DROP OWNED BY kasmctl_test_reader; DROP ROLE kasmctl_test_reader')
    }
  })

  it('reports a database without a logs table', async () => {
    await admin.query('CREATE DATABASE kasmctl_test_nologs OWNER kasmapp')
    try {
      const scratch = await connectDatabase({
        ...sandbox.context,
        database: {...sandbox.context.database!, url: sandbox.context.database!.url.replace('/kasm?', '/kasmctl_test_nologs?')},
      })
      const error = await rejection(purge({}, scratch).finally(() => scratch.end()))
      expect(error).to.be.instanceOf(NotFoundError)
      expect(error.message).to.equal('database kasmctl_test_nologs has no logs table')
    } finally {
      await admin.query('DROP DATABASE kasmctl_test_nologs')
    }
  })
})

describe('lib/db/purge with stale statistics (a bulk load since the last ANALYZE)', () => {
  let sandbox: TestSandbox
  let admin: pg.Client
  const BULK = 30_000

  withResetSandbox((s, a) => {
    sandbox = s
    admin = a
  })

  beforeEach(async () => {
    await seedBands(admin, 200) // ANALYZEd: the planner believes in 600 rows over ten days
    // Autovacuum must not bring the statistics up to date during the test.
    await admin.query('ALTER TABLE logs SET (autovacuum_enabled = false)')
    await admin.query(
      `INSERT INTO logs (ingest_date, host, levelname, data)
       SELECT (now() AT TIME ZONE 'utc') - interval '9 days' + i * interval '1 millisecond', 'webapp-1', 'INFO', jsonb_build_object('band', 'old', 'bulk', true)
         FROM generate_series(1, $1::int) AS i`,
      [BULK],
    )
  })

  afterEach(async () => {
    await admin.query('ALTER TABLE logs RESET (autovacuum_enabled)')
  })

  /** Purges with the fixture's cutoffs, recording every progress report and the queries the reader connection ran. */
  async function purgeRecording(options: PurgeOptions, withReader: boolean): Promise<{result: PurgeResult; reports: PurgeProgress[]; readerQueries: number}> {
    const db = await connectDatabase(sandbox.context)
    const reader = withReader ? await connectAgain(db) : undefined
    let readerQueries = 0
    if (reader) {
      // A reader slower than the deletes: each answer comes after the batch in flight has committed (and resized the next).
      const query = reader.query.bind(reader) as (...args: unknown[]) => Promise<unknown>
      Object.assign(reader, {query: async (...args: unknown[]) => (readerQueries++, query(...args).then(async (answer) => (await sleep(40), answer)))})
    }

    const warnings: string[] = []
    const onWarning = (warning: Error): number => warnings.push(warning.message)
    process.on('warning', onWarning)
    const reports: PurgeProgress[] = []
    try {
      const result = await purgeLogs(db, await resolveCutoffs(db, OLDER_THAN, DEBUG_OLDER_THAN), {...options, onProgress: (p) => reports.push(p), reader})
      // pg warns when a client is given a query while it runs one: every connection here runs one at a time.
      expect(warnings).to.deep.equal([])
      return {readerQueries, reports, result}
    } finally {
      process.off('warning', onWarning)
      await reader?.end()
      await db.end()
    }
  }

  /** Rows each batch deleted, from the running totals of the reports. */
  const perBatch = (reports: PurgeProgress[]): number[] => reports.map((r, i) => r.deletedRows - (i === 0 ? 0 : reports[i - 1].deletedRows))

  for (const withReader of [false, true]) {
    describe(withReader ? 'with a second connection reading ahead of the deletes' : 'on one connection', () => {
      it('keeps every batch within --batch-size, reports progress by rows, and stops as soon as no row is left', async () => {
        const {rows} = await admin.query<{n: number}>(`SELECT (reltuples)::int AS n FROM pg_class WHERE relname = 'logs'`)
        expect(rows[0].n).to.be.below(1000) // the statistics are stale indeed
        const inRange = await countLogs(admin, `ingest_date < (now() AT TIME ZONE 'utc') - interval '4 hours'`)
        const before = await survivors(admin)

        const {readerQueries, reports, result} = await purgeRecording({batchSize: 1000}, withReader)
        // With a reader, the count and every bound were read there, while batches deleted on the other connection.
        expect(readerQueries).to.equal(withReader ? result.batches + 2 : 0)
        expect(result.deletedRows).to.equal(BULK + 200 + 50)
        expect(await survivors(admin)).to.deep.equal(before)
        expect(Math.max(...perBatch(reports))).to.be.at.most(1000)
        // Each batch walks fewer than 1000 rows: the walk ends with the last of them, not after empty ranges.
        expect(result.batches).to.be.at.most(Math.ceil(inRange / 999) + 1)
        for (const report of reports) {
          // Walked rows: at least the deleted ones, at most those and the 150 kept ones of the middle band.
          // null while the rows are still being counted (the batches do not wait for the count).
          if (report.fraction !== null) expect(report.fraction).to.be.within(report.deletedRows / inRange - 1e-9, (report.deletedRows + 150) / inRange + 1e-9)
        }

        expect(reports.at(-1)!.fraction).to.equal(1)
      })

      it('counts nothing for a purge over before countAfterMs: its reports carry no share', async () => {
        const {readerQueries, reports, result} = await purgeRecording({countAfterMs: 60_000}, withReader)
        expect(result.deletedRows).to.equal(BULK + 250)
        expect(reports.map((r) => r.fraction)).to.deep.equal(reports.map(() => null))
        // The bounds only: no count.
        expect(readerQueries).to.equal(withReader ? result.batches + 1 : 0)
      })

      it('grows batches by half at most from one to the next, also while the next bound is measured ahead', async () => {
        // A target no batch reaches: each batch asks for half as many rows again as the one before.
        const {reports, result} = await purgeRecording({targetBatchMs: 60_000}, withReader)
        expect(result.deletedRows).to.equal(BULK + 250)
        const sizes = perBatch(reports)
        expect(sizes[0]).to.be.at.most(5000)
        for (let i = 1; i < sizes.length; i++) expect(sizes[i], `batch ${i + 1} of ${sizes.join(', ')}`).to.be.at.most(Math.ceil(sizes[i - 1] * 1.5) + 1)
      })

      it('holds --max-rate from the first batch on, and sizes batches by measuring, not by the statistics', async () => {
        const maxRate = 10_000
        const {reports, result} = await purgeRecording({maxRate}, withReader)
        expect(result.deletedRows).to.equal(BULK + 250)
        expect(perBatch(reports)[0]).to.be.at.most(5000) // the first batch's size, whatever reltuples says
        expect(Math.max(...perBatch(reports))).to.be.at.most(maxRate)
        // Never ahead of the rate by more than the batch in flight.
        for (const report of reports) expect(report.deletedRows).to.be.at.most((maxRate * report.elapsedMs) / 1000 + maxRate)
      })
    })
  }
})

describe('lib/db/purge batch bounds', () => {
  it('reads and writes PostgreSQL timestamps to the microsecond, so consecutive batches neither overlap nor leave gaps', () => {
    expect(toMicros('2026-11-14 07:40:10.398647')).to.equal(Date.UTC(2026, 10, 14, 7, 40, 10) * 1000 + 398_647)
    expect(toMicros('2026-11-14 07:40:10')).to.equal(Date.UTC(2026, 10, 14, 7, 40, 10) * 1000)
    expect(fromMicros(toMicros('2026-11-14 07:40:10.000001'))).to.equal('2026-11-14 07:40:10.000001')
    expect(() => toMicros('14/11/2026')).to.throw('unexpected timestamp')
  })
})
