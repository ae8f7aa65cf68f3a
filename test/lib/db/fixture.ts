import type pg from 'pg'

import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

export const HOUR = 3_600_000
export const DAY = 24 * HOUR

/** The cutoffs the fixture is built around: Kasm's defaults, 7 days and DEBUG 4 hours. */
export const OLDER_THAN = 7 * DAY
export const DEBUG_OLDER_THAN = 4 * HOUR

/**
 * Replaces the sandbox's logs with rows in three age bands, with an hour or more of empty time
 * around each cutoff so that the clock moving during a test cannot change the expected result:
 * - old (8-10 days): every level goes;
 * - middle (5 hours - 6 days): only DEBUG goes;
 * - recent (0-3 hours): everything stays.
 * Rows are inserted in random order, so log_id says nothing about age (the purge must not rely on it).
 * Each row's band is in data->>'band'.
 */
export async function seedBands(db: pg.Client, perBand = 2000): Promise<void> {
  await db.query('TRUNCATE logs RESTART IDENTITY')
  await db.query(
    `INSERT INTO logs (ingest_date, host, levelname, data)
     SELECT (now() AT TIME ZONE 'utc') - (b.lo + (b.hi - b.lo) * random()), 'webapp-1',
            (ARRAY['DEBUG', 'INFO', 'WARNING', 'ERROR'])[1 + i % 4],
            jsonb_build_object('band', b.name, 'message', 'fixture row ' || i)
       FROM (VALUES ('old', interval '8 days', interval '10 days'),
                    ('middle', interval '5 hours', interval '6 days'),
                    ('recent', interval '0', interval '3 hours')) AS b(name, lo, hi),
            generate_series(1, $1::int) AS i
      ORDER BY random()`,
    [perBand],
  )
  await db.query('ANALYZE logs')
}

/** Rows that must survive a 7d / 4h purge. */
export const SURVIVORS = `(data->>'band' = 'recent' OR (data->>'band' = 'middle' AND levelname <> 'DEBUG'))`

/** Count and a fingerprint of the surviving rows' ids, to prove that none of them was touched. */
export async function survivors(db: pg.Client): Promise<{rows: number; fingerprint: string}> {
  const {rows} = await db.query(`SELECT count(*)::int AS rows, md5(string_agg(log_id::text, ',' ORDER BY log_id)) AS fingerprint FROM logs WHERE ${SURVIVORS}`)
  return rows[0]
}

export async function countLogs(db: pg.Client, where = 'true'): Promise<number> {
  const {rows} = await db.query(`SELECT count(*)::int AS n FROM logs WHERE ${where}`)
  return rows[0].n
}

export interface Stats {
  size: number
  relfilenode: number
  n_live_tup: number
  n_dead_tup: number
  last_vacuum: Date
}

export async function tableStats(db: pg.Client): Promise<Stats> {
  await db.query('SELECT pg_stat_clear_snapshot()')
  const {rows} = await db.query(
    `SELECT pg_total_relation_size('logs')::int AS size, c.relfilenode::int AS relfilenode, s.n_live_tup::int AS n_live_tup,
            s.n_dead_tup::int AS n_dead_tup, s.last_vacuum
       FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid WHERE s.relname = 'logs'`,
  )
  return rows[0]
}

/** Table statistics reach pg_stat_user_tables shortly after a transaction ends: wait for them. */
export async function waitForStats(db: pg.Client, ready: (s: Stats) => boolean): Promise<void> {
  for (let attempt = 0; attempt < 50; attempt++) {
    if (ready(await tableStats(db))) return
    await new Promise((resolve) => {
      setTimeout(resolve, 100)
    })
  }

  throw new Error('pg_stat_user_tables did not catch up within 5 s')
}

/** Mocha hooks of the db tests: a freshly reset sandbox and a superuser connection, closed afterwards. */
export function withResetSandbox(bind: (sandbox: TestSandbox, admin: pg.Client) => void): void {
  let admin: pg.Client | undefined
  before(async () => {
    const sandbox = await useSandbox()
    await sandbox.reset()
    admin = await sandbox.db()
    bind(sandbox, admin)
  })

  after(async () => {
    await admin?.end()
  })
}
