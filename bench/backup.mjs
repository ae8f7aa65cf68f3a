// Issue 8: `kasmctl backup create` against raw pg_dump with the same flags writing to a file (B1),
// kasmctl's peak RSS whatever the dump size (B2), and the default codec against `pg_dump -Fc`'s
// default gzip (B3), all in the same run on a ≥ 1 GB database in the sandbox's PostgreSQL.
import {spawn} from 'node:child_process'
import {mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import pg from 'pg'

import {CLI, median, round, startSandbox} from './lib.mjs'

export const name = 'backup'

/** ~4 M log rows of ~270 bytes ≈ 1.2 GB: Kasm's logs table is what makes its dumps big. */
const ROWS = Number(process.env.KASMCTL_BENCH_BACKUP_ROWS ?? 4_000_000)
/**
 * The wall-time pairs decide a ±5 % target on a noisy 2-core machine where one dump varies by ±5 %
 * from run to run: 7 rounds, each kasmctl run right after its baseline run, and the ratio is the
 * median of the 7 paired ratios (a slow minute slows both halves of a pair). The codec rows take 3.
 */
const WALL_ROUNDS = Number(process.env.KASMCTL_BENCH_BACKUP_ROUNDS ?? 7)
const ROUNDS = Math.min(3, WALL_ROUNDS)
const DATABASE = 'kasmctl_bench_backup'
/** KASMCTL_BENCH_CLI: another entry point to measure (bin/dev.js runs the TypeScript sources through tsx). */
const CLI_PATH = process.env.KASMCTL_BENCH_CLI ?? CLI
const CLI_ARGV = CLI_PATH.endsWith('dev.js') ? ['--import', 'tsx', CLI_PATH] : [CLI_PATH]

export async function run() {
  const sandbox = startSandbox()
  const state = JSON.parse(readFileSync(join(sandbox.env.KASMCTL_SANDBOX_DIR, 'state.json'), 'utf8'))
  const out = mkdtempSync(join(tmpdir(), 'kasmctl-bench-backup-'))
  try {
    const sizeBytes = await buildDatabase({database: 'postgres', host: '127.0.0.1', port: state.postgres.port, user: state.postgres.superuser})
    // Over the unix socket, as `docker exec kasm_db pg_dump` reaches Kasm's database: TLS would add the same cost to both sides and blur the codec comparison.
    const {port, socketDir} = state.postgres
    const pgEnv = {...sandbox.env, PGDATABASE: DATABASE, PGHOST: socketDir, PGPORT: String(port), PGSSLMODE: 'disable', PGUSER: 'kasmapp'}
    const cliEnv = {
      ...sandbox.env,
      KASMCTL_API_URL: 'http://127.0.0.1:9', // not used by backups
      KASMCTL_DATABASE_URL: `postgres://kasmapp@localhost:${port}/${DATABASE}?host=${encodeURIComponent(socketDir)}&sslmode=disable`,
    }
    const kasmctl = (compress) => async () => {
      const dir = fresh(out)
      const result = await timed(process.execPath, [...CLI_ARGV, 'backup', 'create', '--dest', dir, '--via', 'local', '--compress', compress, '--quiet'], cliEnv, {sampleRss: true})
      return {...result, bytes: backupBytes(dir)}
    }
    const raw = (command) => async () => {
      const dir = fresh(out)
      const result = await timed('sh', ['-c', command.replaceAll('$OUT', join(dir, 'dump'))], pgEnv)
      return {...result, bytes: statSync(join(dir, 'dump')).size}
    }

    // Identical pg_dump flags on both sides (kasmctl adds only --snapshot, an exported snapshot), and the
    // same durability: pg_dump -f fsyncs its file, so the piped baseline syncs its file too, as kasmctl does.
    const pairs = {
      none: await alternate(raw('pg_dump -Ft -b -C -f $OUT'), kasmctl('none'), WALL_ROUNDS),
      zstd: await alternate(raw('pg_dump -Ft -b -C | zstd -3 -q -c > $OUT && sync $OUT'), kasmctl('zstd'), WALL_ROUNDS),
    }
    const customGzip = medianRun(await repeat(raw('pg_dump -Fc -f $OUT')))
    const gzipFallback = medianRun(await repeat(kasmctl('gzip')))
    // The codecs alone on the same plain archive: zstd -3 against zlib level 6, pg_dump -Fc's default.
    const plain = join(out, 'plain.tar')
    await timed('pg_dump', ['-Ft', '-b', '-C', '-f', plain], pgEnv)
    const codecs = await alternate(
      () => timed('sh', ['-c', `gzip -6 -c '${plain}' > /dev/null`], pgEnv),
      () => timed('sh', ['-c', `zstd -3 -q -c '${plain}' > /dev/null`], pgEnv),
    )
    const peakRss = Math.max(...[...pairs.none.subject, ...pairs.zstd.subject, ...gzipFallback.all].map((r) => r.peakRssBytes))
    const zstd = medianRun(pairs.zstd.subject)
    const mb = (b) => `${round(b / 1048576)} MiB`
    const db = `database ${mb(sizeBytes)}`
    return [
      pairedRow('create wall, tar+zstd (default)', 'pg_dump -Ft | zstd -3 > file', pairs.zstd, 1.05, db),
      pairedRow('create wall, tar uncompressed', 'pg_dump -Ft -f file', pairs.none, 1.05, db),
      {
        baseline: '100 MiB',
        metric: 'create peak RSS of kasmctl (VmHWM)',
        note: `${mb(peakRss)} for dumps up to ${mb(Math.max(...pairs.none.subject.map((r) => r.bytes)))}`,
        ratio: round(peakRss / (100 * 1048576), 2),
        target: 1,
      },
      {
        atLeast: true,
        baseline: 'gzip -6 (pg_dump -Fc default) throughput',
        baselineMs: round(median(codecs.baseline.map((r) => r.ms))),
        metric: 'default codec speed (zstd -3), codec alone',
        note: `on the ${mb(statSync(plain).size)} plain archive`,
        ratio: round(median(codecs.baseline.map((r) => r.ms)) / median(codecs.subject.map((r) => r.ms)), 2),
        subjectMs: round(median(codecs.subject.map((r) => r.ms))),
        target: 2,
      },
      {
        atLeast: true,
        baseline: 'pg_dump -Fc end to end',
        baselineMs: round(customGzip.ms),
        metric: 'backup create (tar+zstd) end to end',
        note: `bounded by pg_dump itself (uncompressed ${round(medianRun(pairs.none.baseline).ms)} ms); without zstd installed, tar+gzip -1: ${round(customGzip.ms / gzipFallback.ms, 2)}x, ${mb(gzipFallback.bytes)}`,
        ratio: round(customGzip.ms / zstd.ms, 2),
        subjectMs: round(zstd.ms),
        target: 1,
      },
      {baseline: 'pg_dump -Fc size', metric: 'default codec size (tar+zstd)', note: `${mb(zstd.bytes)} vs ${mb(customGzip.bytes)}`, ratio: round(zstd.bytes / customGzip.bytes, 2), target: 1.1},
    ]
  } finally {
    rmSync(out, {force: true, recursive: true})
    sandbox.stop()
  }
}

/** Ratio = median of the per-round ratios; the times shown are the medians of each side, with every paired ratio in the note. */
function pairedRow(metric, baseline, pair, target, note) {
  const ratios = pair.subject.map((run, i) => run.ms / pair.baseline[i].ms)
  const spread = ratios.map((r) => round(r, 2)).join(', ')
  return {
    baseline,
    baselineMs: round(medianRun(pair.baseline).ms),
    metric,
    note: `${note}; paired ratios ${spread}`,
    ratio: round(median(ratios), 2),
    subjectMs: round(medianRun(pair.subject).ms),
    target,
  }
}

/** A logs table like Kasm's (jsonb python-json-logger records), owned by kasmapp, of at least ROWS rows. */
async function buildDatabase(superuser) {
  const admin = new pg.Client(superuser)
  await admin.connect()
  try {
    await admin.query(`DROP DATABASE IF EXISTS ${DATABASE}`)
    await admin.query(`CREATE DATABASE ${DATABASE} OWNER kasmapp`)
  } finally {
    await admin.end()
  }

  const db = new pg.Client({...superuser, database: DATABASE})
  await db.connect()
  try {
    await db.query('SET ROLE kasmapp')
    await db.query(`CREATE TABLE logs (
      log_id bigserial PRIMARY KEY, ingest_date timestamp NOT NULL, host varchar(255), levelname varchar(20),
      kasm_user_name varchar(255), metric_name varchar(255), data jsonb)`)
    await db.query(`INSERT INTO logs (ingest_date, host, levelname, kasm_user_name, data)
      SELECT now() - (g % 604800) * interval '1 second', 'webapp-' || (g % 3), (ARRAY['INFO','DEBUG','WARNING'])[1 + g % 3], 'user' || (g % 500) || '@example.com',
             jsonb_build_object('name', 'kasm_api', 'funcName', 'request_kasm', 'application', 'kasm_api', 'processName', 'MainProcess',
               'message', 'GET /api/public/get_kasms ' || md5(g::text), 'request_ip', '10.0.' || (g % 250) || '.' || (g % 7), 'kasm_user_id', md5((g % 500)::text))
      FROM generate_series(1, ${ROWS}) g`)
    // As a production table is between bulk loads: vacuumed and checkpointed, so that neither
    // autovacuum nor the checkpointer competes with the dumps being timed.
    await db.query('RESET ROLE')
    await db.query('VACUUM (ANALYZE) logs')
    await db.query('CHECKPOINT')
    return Number((await db.query('SELECT pg_database_size(current_database()) AS n')).rows[0].n)
  } finally {
    await db.end()
  }
}

let counter = 0
/** A new output directory per run; only the last two dumps stay on disk. */
function fresh(out) {
  rmSync(join(out, String(counter - 2)), {force: true, recursive: true})
  const dir = join(out, String(counter++))
  mkdirSync(dir)
  return dir
}

function backupBytes(dir) {
  const file = readdirSync(dir).find((f) => /^kasm_db_.*\.(tar|tar\.zst|tar\.gz)$/.test(f))
  return statSync(join(dir, file)).size
}

/** Runs A and B alternately (noise hits both alike). */
async function alternate(baseline, subject, rounds = ROUNDS) {
  const result = {baseline: [], subject: []}
  for (let i = 0; i < rounds; i++) {
    result.baseline.push(await baseline())
    result.subject.push(await subject())
  }

  return result
}

async function repeat(fn) {
  const all = []
  for (let i = 0; i < ROUNDS; i++) all.push(await fn())
  return all
}

function medianRun(results) {
  const all = results.all ?? results
  return {all, bytes: median(all.map((r) => r.bytes)), ms: median(all.map((r) => r.ms))}
}

/** Wall time of a command; with sampleRss, the peak RSS (VmHWM) of that process itself (not its children), sampled until it exits. */
function timed(file, args, env, {sampleRss = false} = {}) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    const child = spawn(file, args, {env, stdio: ['ignore', 'ignore', 'pipe']})
    let stderr = ''
    let peakRssBytes = 0
    child.stderr.on('data', (chunk) => (stderr += chunk))
    const sampler = sampleRss
      ? setInterval(() => {
          try {
            const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'))
            if (hwm) peakRssBytes = Math.max(peakRssBytes, Number(hwm[1]) * 1024)
          } catch {
            // exited
          }
        }, 50)
      : undefined
    child.on('close', (code) => {
      clearInterval(sampler)
      if (code !== 0) reject(new Error(`${file} ${args.join(' ')} exited ${code}: ${stderr}`))
      else resolve({ms: performance.now() - started, peakRssBytes})
    })
  })
}
