import {expect} from 'chai'
import type pg from 'pg'

import {LOG_PURGE_LOCK} from '../../../src/lib/db/advisory-lock.js'
import {runCli} from '../../helpers/cli.js'
import {Terminal} from '../../helpers/terminal.js'
import type {TestSandbox} from '../../helpers/sandbox.js'
import {countLogs, seedBands, survivors, withResetSandbox} from '../../lib/db/fixture.js'

/** What a 7d / 4h purge removes from the fixture: the old band and the middle band's DEBUG rows. */
const DOOMED = `(data->>'band' = 'old' OR (data->>'band' = 'middle' AND levelname = 'DEBUG'))`

describe('db logs purge', () => {
  let sandbox: TestSandbox
  let admin: pg.Client

  withResetSandbox((s, a) => {
    sandbox = s
    admin = a
  })

  beforeEach(async () => {
    await seedBands(admin)
  })

  const purge = (args: string[], options: Parameters<typeof runCli>[1] = {}) => runCli(['db', 'logs', 'purge', ...args], {env: sandbox.env, ...options})

  it("dry run: takes the ages from Kasm's retention settings and counts per level, deleting nothing", async () => {
    const result = await purge(['--dry-run', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const plan = JSON.parse(result.stdout)
    expect(plan).to.include({dryRun: true, totalRows: 2500})
    expect(plan.cutoffs).to.include({debugOlderThan: '4h', olderThan: '7d', source: 'settings'})
    expect(plan.target).to.deep.equal({database: 'kasm', host: '127.0.0.1', port: sandbox.state.postgres.port})
    expect(plan.levels.map((l: {level: string; rows: number}) => [l.level, l.rows])).to.deep.equal([
      ['DEBUG', 1000],
      ['ERROR', 500],
      ['INFO', 500],
      ['WARNING', 500],
    ])
    expect(await countLogs(admin)).to.equal(6000)
  })

  it('deletes what the retention says and reports rows, batches, WAL and table size', async () => {
    const before = await survivors(admin)
    const result = await purge(['--yes', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const summary = JSON.parse(result.stdout)
    expect(summary).to.include({deletedRows: 2500, dryRun: false, skippedLockedRows: 0})
    expect(summary).to.include({table: 'logs'})
    expect(summary).to.have.all.keys('dryRun', 'table', 'target', 'cutoffs', 'deletedRows', 'batches', 'durationMs', 'rowsPerSecond', 'batchMs', 'skippedLockedRows', 'walBytes', 'tableBytesBefore', 'tableBytesAfter')
    expect(summary.tableBytesAfter).to.equal(summary.tableBytesBefore)
    expect(await survivors(admin)).to.deep.equal(before)
    expect(await countLogs(admin)).to.equal(before.rows)
  })

  it('tells a human that DELETE frees no disk until VACUUM', async () => {
    const result = await purge(['--older-than', '7d', '--debug-older-than', '4h', '--yes'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.include('Deleted 2,500 rows older than 7d').and.include('DELETE frees no disk until VACUUM')
  })

  it('rejects unparseable durations and a zero batch size, naming the value, and deletes nothing (exit 64)', async () => {
    const results = await Promise.all([
      purge(['--older-than', '7x', '--yes']),
      purge(['--debug-older-than=-1d', '--yes']),
      purge(['--batch-size', '0', '--yes']),
    ])
    expect(results.map((r) => r.exitCode)).to.deep.equal([64, 64, 64])
    expect(results[0].stderr).to.include('"7x" is not a duration')
    expect(results[1].stderr).to.include('"-1d" is not a duration')
    expect(results[2].stderr).to.include('greater than or equal to 1 but received: 0')
    expect(await countLogs(admin)).to.equal(6000)
  })

  it('asks for --yes when stdin is not a terminal, and deletes nothing', async () => {
    const result = await purge(['--older-than', '7d', '--debug-older-than', '4h'])
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('--yes')
    expect(await countLogs(admin)).to.equal(6000)
  })

  it("exits 75 naming the other session's pid while another purge holds the lock", async () => {
    const other = await sandbox.db()
    try {
      const {rows} = await other.query('SELECT pg_backend_pid() AS pid, pg_advisory_lock($1, $2)', [LOG_PURGE_LOCK.classId, LOG_PURGE_LOCK.objectId])
      const result = await purge(['--yes'])
      expect(result.exitCode).to.equal(75)
      expect(result.stderr).to.include(`another log purge is running on this database: pid ${rows[0].pid}`)
      expect(await countLogs(admin)).to.equal(6000)
    } finally {
      await other.end()
    }
  })

  it('killed mid-purge, keeps the committed batches; a rerun finishes', async () => {
    const before = await survivors(admin)
    const killed = await purge(['--batch-size', '100', '--max-rate', '1500', '--yes'], {onSpawn: (child) => killWhenDeleted(child, 300, 'SIGKILL')})
    expect(killed.exitCode).to.equal(128)
    const left = await countLogs(admin, DOOMED)
    expect(left).to.be.within(1, 2500 - 300)

    const rerun = await purge(['--yes', '--json'])
    expect(rerun.exitCode, rerun.stderr).to.equal(0)
    expect(JSON.parse(rerun.stdout).deletedRows).to.equal(left)
    expect(await countLogs(admin, DOOMED)).to.equal(0)
    expect(await survivors(admin)).to.deep.equal(before)
  })

  it('on Ctrl-C, commits the batch in flight, says how far it got and how to resume', async () => {
    const result = await purge(['--batch-size', '100', '--max-rate', '1500', '--yes', '--json'], {onSpawn: (child) => killWhenDeleted(child, 300, 'SIGINT')})
    expect(result.exitCode).to.equal(1)
    const {error} = JSON.parse(result.stdout)
    expect(error.code).to.equal('INTERRUPTED')
    expect(error.hint).to.include('run the same command again')
    expect(error.details.deletedRows).to.equal(2500 - (await countLogs(admin, DOOMED)))
  })

  it('on a terminal, shows its progress as a task, and Ctrl-C still stops it cleanly after the batch in flight', async () => {
    const terminal = await Terminal.open('purge')
    try {
      await terminal.run('db logs purge --batch-size 100 --max-rate 500 --yes', sandbox.env)
      await terminal.waitFor(/Purging logs[\s\S]*\d+ rows/)
      terminal.keys('C-c')
      const screen = await terminal.waitFor('exit=')
      expect(screen, screen).to.contain('exit=1').and.contain('run the same command again')
      const deleted = Number(/(\d[\d,]*) rows were deleted in/.exec(screen)?.[1].replaceAll(',', ''))
      expect(deleted).to.be.within(1, 2499)
      expect(deleted).to.equal(2500 - (await countLogs(admin, DOOMED)))
    } finally {
      await terminal.close()
    }
  })

  /** Signals the CLI once the database shows `rows` of the doomed rows gone. */
  function killWhenDeleted(child: {kill(signal: NodeJS.Signals): boolean}, rows: number, signal: NodeJS.Signals): void {
    const poll = async (): Promise<void> => {
      if (2500 - (await countLogs(admin, DOOMED)) >= rows) child.kill(signal)
      else setTimeout(poll, 50)
    }

    setTimeout(poll, 50)
  }

  describe('--table system_metrics (Kasm 1.19)', () => {
    /** Samples in two bands around a 30-day cutoff, a day of empty time on each side. */
    async function seedMetricBands(column = 'created'): Promise<void> {
      await admin.query('TRUNCATE system_metrics')
      await admin.query(
        `INSERT INTO system_metrics (${column}, hostname, metrics)
         SELECT (now() AT TIME ZONE 'utc') - (b.lo + (b.hi - b.lo) * random()), 'agent-1', jsonb_build_object('band', b.name)
           FROM (VALUES ('old', interval '31 days', interval '40 days'), ('recent', interval '0', interval '29 days')) AS b(name, lo, hi),
                generate_series(1, 1500)`,
      )
      await admin.query('ANALYZE system_metrics')
    }

    const metricsIn = async (band: string): Promise<number> =>
      Number((await admin.query(`SELECT count(*) AS n FROM system_metrics WHERE metrics->>'band' = $1`, [band])).rows[0].n)

    after(() => sandbox.reset())

    it('trims rows older than --older-than with the same batched engine, leaving logs alone', async () => {
      await seedMetricBands()
      const logs = await countLogs(admin)
      const dryRun = JSON.parse((await purge(['--table', 'system_metrics', '--older-than', '30d', '--dry-run', '--json'])).stdout)
      expect(dryRun).to.include({table: 'system_metrics', totalRows: 1500})
      expect(dryRun.levels.map((l: {level: string}) => l.level)).to.deep.equal(['(all)'])
      expect(await metricsIn('old')).to.equal(1500)

      const result = await purge(['--table', 'system_metrics', '--older-than', '30d', '--batch-size', '200', '--yes', '--json'])
      expect(result.exitCode, result.stderr).to.equal(0)
      const summary = JSON.parse(result.stdout)
      expect(summary).to.include({deletedRows: 1500, dryRun: false, table: 'system_metrics'})
      expect(summary.batches).to.be.greaterThan(1)
      expect([await metricsIn('old'), await metricsIn('recent')]).to.deep.equal([0, 1500])
      expect(await countLogs(admin)).to.equal(logs)
    })

    it('dates rows by the table\'s indexed timestamp column, whatever its name', async () => {
      await admin.query('ALTER TABLE system_metrics RENAME COLUMN created TO sampled_at')
      try {
        await seedMetricBands('sampled_at')
        const result = await purge(['--table', 'system_metrics', '--older-than', '30d', '--yes', '--json'])
        expect(result.exitCode, result.stderr).to.equal(0)
        expect(JSON.parse(result.stdout)).to.include({deletedRows: 1500})
      } finally {
        await admin.query('ALTER TABLE system_metrics RENAME COLUMN sampled_at TO created')
      }
    })

    it('needs --older-than and refuses --debug-older-than (exit 64, nothing deleted)', async () => {
      await seedMetricBands()
      const missing = await purge(['--table', 'system_metrics', '--yes'])
      expect(missing.exitCode).to.equal(64)
      expect(missing.stderr).to.include('--table system_metrics needs --older-than')
      const debug = await purge(['--table', 'system_metrics', '--older-than', '30d', '--debug-older-than', '4h', '--yes'])
      expect(debug.exitCode).to.equal(64)
      expect(debug.stderr).to.include('--debug-older-than applies to logs only')
      expect(await metricsIn('old')).to.equal(1500)
    })

    it('on a database without the table (Kasm before 1.19) says so (exit 64)', async () => {
      await admin.query('DROP TABLE system_metrics')
      const result = await purge(['--table', 'system_metrics', '--older-than', '30d', '--dry-run'])
      expect(result.exitCode).to.equal(64)
      expect(result.stderr).to.include('database kasm has no system_metrics table').and.include('Kasm adds system_metrics in 1.19')
    })
  })
})
