import {expect} from 'chai'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type pg from 'pg'
import {parse, stringify} from 'yaml'

import {runCli} from '../../helpers/cli.js'
import type {TestSandbox} from '../../helpers/sandbox.js'
import {seedBands, waitForStats, withResetSandbox} from '../../lib/db/fixture.js'

describe('db report', () => {
  let sandbox: TestSandbox
  let admin: pg.Client

  withResetSandbox((s, a) => {
    sandbox = s
    admin = a
  })

  const report = async () => {
    const result = await runCli(['db', 'report', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    return JSON.parse(result.stdout)
  }

  it("matches PostgreSQL's statistics for the database, the largest tables and the logs table", async () => {
    const json = await report()
    await admin.query('SELECT pg_stat_clear_snapshot()')
    const {rows} = await admin.query(
      `SELECT pg_total_relation_size('logs')::bigint AS size, s.n_live_tup::int AS live, s.n_dead_tup::int AS dead,
              current_setting('max_connections')::int AS max, (SELECT count(*)::int FROM kasms) AS sessions,
              (SELECT min(ingest_date) FROM logs) AS oldest, (SELECT max(ingest_date) FROM logs) AS newest
         FROM pg_stat_user_tables s WHERE s.relname = 'logs'`,
    )
    const [pgStats] = rows
    const {rows: levels} = await admin.query('SELECT levelname AS level, count(*)::int AS rows FROM logs GROUP BY 1 ORDER BY 1')

    expect(json.database).to.include({host: '127.0.0.1', name: 'kasm', port: sandbox.state.postgres.port})
    expect(json.logs).to.include({deadTuples: pgStats.dead, levelsEstimated: false, liveTuples: pgStats.live, totalBytes: Number(pgStats.size)})
    expect(json.logs.oldest).to.equal(pgStats.oldest.toISOString())
    expect(json.logs.newest).to.equal(pgStats.newest.toISOString())
    expect(json.logs.levels.map((l: {level: string; rows: number}) => ({level: l.level, rows: l.rows}))).to.deep.equal(levels)
    const sizes = json.tables.map((t: {totalBytes: number}) => t.totalBytes)
    expect(sizes).to.deep.equal([...sizes].sort((a, b) => b - a))
    expect(json.tables.find((t: {table: string}) => t.table === 'logs').totalBytes).to.equal(Number(pgStats.size))
    expect(json.connections.max).to.equal(pgStats.max)
    expect(json.sessions).to.equal(pgStats.sessions)
    expect(json.retention).to.deep.equal({debugRetentionHours: 4, logProtocol: 'internal', logRetentionDays: 7, source: 'settings'})
  })

  it('recommends a purge when rows outlive the retention (a stalled cleanup), and VACUUM for many dead rows', async () => {
    await seedBands(admin) // rows up to 10 days old against a 7-day retention
    expect((await report()).recommendations.map((r: {code: string}) => r.code)).to.deep.equal(['log-cleanup-stalled'])

    await admin.query('ALTER TABLE logs SET (autovacuum_enabled = off)')
    await admin.query(`DELETE FROM logs WHERE data->>'band' = 'old' OR (data->>'band' = 'middle' AND levelname = 'DEBUG')`)
    await waitForStats(admin, (s) => s.n_dead_tup >= 2500)
    const json = await report()
    expect(json.recommendations.map((r: {code: string}) => r.code)).to.deep.equal(['vacuum-needed'])
    expect(json.recommendations[0].message).to.include('2,500 dead rows').and.include('kasmctl db vacuum')
  })

  it('recommends forwarding logs to a SIEM above 50 concurrent sessions, as the sizing guide does', async () => {
    await admin.query(
      `INSERT INTO kasms (created_date, keepalive_date, expiration_date)
       SELECT now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc', (now() AT TIME ZONE 'utc') + interval '1 day' FROM generate_series(1, 60)`,
    )
    const json = await report()
    const forward = json.recommendations.find((r: {code: string}) => r.code === 'forward-logs')
    expect(json.sessions).to.be.greaterThan(50)
    expect(forward.message).to.include('SIEM').and.include('kasmctl db retention set --days 0 --debug-hours 0')
  })

  it("connects with --from-host through the database: block of a web app's api.app.config.yaml", async () => {
    // A copy of the sandbox's config whose context has no database settings: only the host's file can provide them.
    const dir = await mkdtemp(join(tmpdir(), 'kasmctl-db-report-'))
    try {
      const config = parse(await readFile(sandbox.env.KASMCTL_CONFIG!, 'utf8'))
      for (const context of config.contexts) delete context.database
      await writeFile(join(dir, 'config.yaml'), stringify(config), {mode: 0o600})
      const env = {...sandbox.env, KASMCTL_CONFIG: join(dir, 'config.yaml')}

      const withoutDatabase = await runCli(['db', 'report', '--json'], {env})
      expect(withoutDatabase.exitCode).to.equal(64)
      expect(withoutDatabase.stdout).to.include('has no database settings')
      const result = await runCli(['db', 'report', '--from-host', 'webapp-1', '--json'], {env})
      expect(result.exitCode, result.stderr).to.equal(0)
      expect(JSON.parse(result.stdout).database).to.include({name: 'kasm', port: sandbox.state.postgres.port})
    } finally {
      await rm(dir, {force: true, recursive: true})
    }
  })

  it("shows Kasm 1.19's system_metrics table, which grows like logs, and null where the table does not exist", async () => {
    await admin.query('ANALYZE system_metrics')
    const json = await report()
    const {rows} = await admin.query(
      `SELECT pg_total_relation_size('system_metrics')::bigint AS size, min(created) AS oldest, max(created) AS newest, count(*)::int AS n FROM system_metrics`,
    )
    expect(rows[0].n).to.be.greaterThan(0)
    expect(json.systemMetrics).to.include({newest: rows[0].newest.toISOString(), oldest: rows[0].oldest.toISOString(), timeColumn: 'created', totalBytes: Number(rows[0].size)})
    const table = await runCli(['db', 'report'], {env: sandbox.env})
    expect(table.stdout).to.match(/^system_metrics: \S+ \S+; [\d,]+ live rows/m).and.include('kasmctl db logs purge --table system_metrics')

    await admin.query('DROP TABLE system_metrics')
    try {
      expect((await report()).systemMetrics).to.equal(null)
    } finally {
      await sandbox.reset()
    }
  })
})
