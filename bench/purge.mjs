// Issue 7: `kasmctl db logs purge` against a single `DELETE … WHERE ingest_date < X` of the same rows,
// each on an identical copy (CREATE DATABASE … TEMPLATE) of a 2-million-row logs table, each with the
// same live writer and reader running (node-postgres), all in the same run on the sandbox's PostgreSQL.
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {promisify} from 'node:util'
import pg from 'pg'

import {CLI, median, percentile, ROOT, round, startSandbox} from './lib.mjs'

export const name = 'purge'

const ROWS = Number(process.env.KASMCTL_BENCH_PURGE_ROWS ?? 2_000_000)
const SPAN_DAYS = 10
/** Purge the oldest 70% (as in performance-notes.md §1), so that fixed costs do not dominate. */
const OLDER_THAN_DAYS = 3
/** Both sides run this many times, in A-B-B-A order, and the medians are compared: the machine is shared and noisy. */
const ROUNDS = Number(process.env.KASMCTL_BENCH_PURGE_ROUNDS ?? 4)
const TEMPLATE = 'kasmctl_bench_logs'
/** Live load as in performance-notes.md §1: 2 writers × 50 INSERT/s, 2 readers × 5 SELECT/s. */
const WRITERS = 2
const WRITES_PER_SECOND = 50
const READERS = 2
const READS_PER_SECOND = 5
const BASELINE_LOAD_MS = 4000

export async function run() {
  const sandbox = startSandbox()
  const state = JSON.parse(readFileSync(join(sandbox.env.KASMCTL_SANDBOX_DIR, 'state.json'), 'utf8'))
  const superuser = (database) => ({database, host: '127.0.0.1', port: state.postgres.port, user: state.postgres.superuser})
  try {
    await buildTemplate(superuser)
    const env = {
      ...sandbox.env,
      KASMCTL_API_URL: 'http://127.0.0.1:9', // not used: both ages are given
      KASMCTL_DATABASE_PASSWORD: state.postgres.kasmappPassword,
      KASMCTL_DATABASE_URL: `postgres://kasmapp@127.0.0.1:${state.postgres.port}/kasmctl_bench_purge?sslmode=require`,
    }
    const deletes = []
    const purges = []
    const runDelete = () =>
      measure(superuser, 'kasmctl_bench_delete', async (db) => {
        const started = performance.now()
        const result = await db.query(`DELETE FROM logs WHERE ingest_date < (now() AT TIME ZONE 'utc') - interval '${OLDER_THAN_DAYS} days'`)
        return {ms: performance.now() - started, rows: result.rowCount}
      })
    const runPurge = () =>
      measure(superuser, 'kasmctl_bench_purge', async () => {
        const started = performance.now()
        const {stdout} = await promisify(execFile)(
          process.execPath,
          [CLI, 'db', 'logs', 'purge', '--older-than', `${OLDER_THAN_DAYS}d`, '--debug-older-than', `${OLDER_THAN_DAYS}d`, '--yes', '--json'],
          {env, maxBuffer: 1 << 20},
        )
        const wallMs = performance.now() - started
        const summary = JSON.parse(stdout)
        return {batchMs: summary.batchMs, batches: summary.batches, ms: summary.durationMs, rows: summary.deletedRows, wallMs}
      })
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        deletes.push(await runDelete())
        purges.push(await runPurge())
      } else {
        purges.push(await runPurge())
        deletes.push(await runDelete())
      }
    }

    const rate = (r) => r.rows / (r.ms / 1000)
    const baseline = byMedianRate(deletes, rate)
    const purge = {
      ...byMedianRate(purges, rate),
      // Worst case over every purge run for the latency budgets.
      batchMs: {max: Math.max(...purges.map((p) => p.batchMs.max)), p99: Math.max(...purges.map((p) => p.batchMs.p99))},
      insertP99: Math.max(...purges.map((p) => p.insertP99)),
      liveMax: Math.max(...purges.map((p) => p.liveMax)),
    }
    baseline.idleInsertP99 = median([...deletes, ...purges].map((r) => r.idleInsertP99))
    const insertBudget = 3 * baseline.idleInsertP99 + 20
    const note = (r) => `${r.rows} rows in ${round(r.ms)} ms`
    return [
      {
        atLeast: true,
        baseline: 'single DELETE rows/s',
        baselineMs: round(baseline.ms),
        metric: 'purge throughput (rows/s)',
        note: `median of ${ROUNDS}: purge ${note(purge)} in ${purge.batches} batches (CLI wall ${round(purge.wallMs)} ms); DELETE ${note(baseline)}`,
        ratio: round(median(purges.map(rate)) / median(deletes.map(rate)), 2),
        subjectMs: round(purge.ms),
        target: 0.9,
      },
      {baseline: '250 ms', metric: 'purge batch transaction p99', note: `p99 ${purge.batchMs.p99} ms`, ratio: round(purge.batchMs.p99 / 250, 2), target: 1},
      {baseline: '1000 ms', metric: 'purge batch transaction max', note: `max ${purge.batchMs.max} ms`, ratio: round(purge.batchMs.max / 1000, 2), target: 1},
      {
        baseline: '3 × idle p99 + 20 ms',
        metric: 'live INSERT p99 during purge',
        note: `p99 ${round(purge.insertP99)} ms vs idle p99 ${round(baseline.idleInsertP99)} ms (single DELETE: p99 ${round(baseline.insertP99)} ms)`,
        ratio: round(purge.insertP99 / insertBudget, 2),
        target: 1,
      },
      {
        baseline: '1000 ms',
        metric: 'slowest live operation during purge',
        note: `max ${round(purge.liveMax)} ms (single DELETE: ${round(baseline.liveMax)} ms); writes ${purge.writes}/${purge.offeredWrites} offered`,
        ratio: round(purge.liveMax / 1000, 2),
        target: 1,
      },
      {
        baseline: 'single DELETE WAL',
        metric: 'purge WAL written',
        note: `median: ${round(median(purges.map((p) => p.walBytes)) / 2 ** 20)} MiB vs ${round(median(deletes.map((d) => d.walBytes)) / 2 ** 20)} MiB`,
        ratio: round(median(purges.map((p) => p.walBytes)) / median(deletes.map((d) => d.walBytes)), 2),
        target: 1.1,
      },
    ]
  } finally {
    // Cleanup must not hide the error that got us here.
    const admin = new pg.Client(superuser('postgres'))
    try {
      await admin.connect()
      for (const db of ['kasmctl_bench_delete', 'kasmctl_bench_purge', TEMPLATE]) await admin.query(`DROP DATABASE IF EXISTS ${db} WITH (FORCE)`)
    } catch (error) {
      console.error(`bench purge: cleanup failed: ${error.message}`)
    } finally {
      await admin.end().catch(() => undefined)
      sandbox.stop()
    }
  }
}

/** The run at the median throughput (the slower middle one for an even count), for the notes. */
function byMedianRate(runs, rate) {
  const sorted = [...runs].sort((a, b) => rate(a) - rate(b))
  return {...sorted[Math.floor((sorted.length - 1) / 2)]}
}

/** The template: Kasm's logs table (the sandbox schema), ROWS rows over SPAN_DAYS in ingest order, vacuumed and frozen. */
async function buildTemplate(superuser) {
  const admin = new pg.Client(superuser('postgres'))
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${TEMPLATE}`)
  await admin.query(`CREATE DATABASE ${TEMPLATE} OWNER kasmapp`)
  await admin.end()
  const db = new pg.Client(superuser(TEMPLATE))
  db.on('error', () => undefined) // a connection lost at cleanup must not crash the run
  await db.connect()
  try {
    await loadTemplate(db)
  } finally {
    await db.end().catch(() => undefined)
  }
}

async function loadTemplate(db) {
  const schema = readFileSync(join(ROOT, 'src', 'lib', 'sandbox', 'schema.sql'), 'utf8')
  const logsDdl = schema.slice(schema.indexOf('CREATE TABLE logs'))
  await db.query(logsDdl)
  await db.query(`ALTER TABLE logs OWNER TO kasmapp`)
  await db.query(
    `INSERT INTO logs (ingest_date, host, levelname, metric_name, kasm_user_name, data)
     SELECT (now() AT TIME ZONE 'utc') - interval '${SPAN_DAYS} days' + (i * interval '${SPAN_DAYS} days' / $1), 'webapp-' || (i % 3),
            (ARRAY['DEBUG', 'INFO', 'INFO', 'WARNING', 'ERROR'])[1 + i % 5], NULL, 'user' || (i % 50) || '@kasm.local',
            jsonb_build_object('application', 'kasm_api', 'funcName', 'handler', 'message', 'request handled ' || md5(i::text) || repeat('.', 80))
       FROM generate_series(1, $1::int) AS i`,
    [ROWS],
  )
  await db.query('VACUUM (FREEZE, ANALYZE) logs')
  // No autovacuum on the copies: a worker cleaning one side's dead rows while the other side runs would skew the comparison.
  await db.query('ALTER TABLE logs SET (autovacuum_enabled = off)')
}

/**
 * Copies the template, runs the live load alone for a while (idle latency), then runs `work`
 * beside it; returns work's result with the WAL written and the live latencies during it.
 */
async function measure(superuser, database, work) {
  const admin = new pg.Client(superuser('postgres'))
  await admin.connect()
  await admin.query(`DROP DATABASE IF EXISTS ${database}`)
  await admin.query(`CREATE DATABASE ${database} TEMPLATE ${TEMPLATE} STRATEGY FILE_COPY`)
  await admin.end()

  const db = new pg.Client(superuser(database))
  await db.connect()
  const load = await startLoad(superuser(database))
  try {
    await sleep(BASELINE_LOAD_MS)
    await db.query('CHECKPOINT') // both sides start right after a checkpoint: same full-page-image cost
    const idle = load.take()
    const walStart = (await db.query('SELECT pg_current_wal_insert_lsn() AS lsn')).rows[0].lsn
    const offeredSince = performance.now()
    const result = await work(db)
    const wal = await db.query('SELECT pg_wal_lsn_diff(pg_current_wal_insert_lsn(), $1)::bigint AS bytes', [walStart])
    const during = load.take()
    const inserts = during.filter((s) => s.kind === 'insert').map((s) => s.ms)
    return {
      ...result,
      idleInsertP99: percentile(idle.filter((s) => s.kind === 'insert').map((s) => s.ms), 99),
      insertP99: percentile(inserts, 99),
      liveMax: Math.max(...during.map((s) => s.ms)),
      offeredWrites: Math.round(((performance.now() - offeredSince) / 1000) * WRITERS * WRITES_PER_SECOND),
      walBytes: Number(wal.rows[0].bytes),
      writes: inserts.length,
    }
  } finally {
    await load.stop()
    await db.end()
    const cleanup = new pg.Client(superuser('postgres'))
    await cleanup.connect()
    await cleanup.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`)
    await cleanup.end()
  }
}

/** Paced live writers and readers; `take()` returns (and clears) the latencies recorded so far. */
async function startLoad(connection) {
  let samples = []
  let running = true
  const clients = []
  const loop = async (perSecond, kind, sql) => {
    const client = new pg.Client(connection)
    await client.connect()
    clients.push(client)
    const interval = 1000 / perSecond
    let next = performance.now()
    while (running) {
      const started = performance.now()
      await client.query(sql)
      samples.push({kind, ms: performance.now() - started})
      next += interval
      await sleep(Math.max(0, next - performance.now()))
    }
  }

  const loops = [
    ...Array.from({length: WRITERS}, () =>
      loop(WRITES_PER_SECOND, 'insert', `INSERT INTO logs (host, levelname, data) VALUES ('webapp-1', 'INFO', '{"message": "live"}')`),
    ),
    ...Array.from({length: READERS}, () =>
      loop(READS_PER_SECOND, 'select', `SELECT log_id, levelname, data FROM logs WHERE ingest_date > (now() AT TIME ZONE 'utc') - interval '10 minutes' ORDER BY ingest_date DESC LIMIT 50`),
    ),
  ]
  await sleep(200)
  return {
    async stop() {
      running = false
      await Promise.all(loops)
      await Promise.all(clients.map((c) => c.end()))
    },
    take() {
      const taken = samples
      samples = []
      return taken
    },
  }
}

function sleep(ms) {
  return new Promise((resolve) => {
    setTimeout(resolve, ms)
  })
}
