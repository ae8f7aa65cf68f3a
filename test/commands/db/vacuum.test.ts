import {expect} from 'chai'
import type pg from 'pg'

import {runCli} from '../../helpers/cli.js'
import type {TestSandbox} from '../../helpers/sandbox.js'
import {seedBands, tableStats, waitForStats, withResetSandbox} from '../../lib/db/fixture.js'

describe('db vacuum', () => {
  let sandbox: TestSandbox
  let admin: pg.Client

  withResetSandbox((s, a) => {
    sandbox = s
    admin = a
  })

  beforeEach(async () => {
    // Dead rows that autovacuum is kept away from, so the figures are the command's doing.
    await seedBands(admin)
    await admin.query('ALTER TABLE logs SET (autovacuum_enabled = off)')
    await admin.query(`DELETE FROM logs WHERE data->>'band' = 'old'`)
    await waitForStats(admin, (s) => s.n_dead_tup >= 2000)
  })

  const vacuum = (args: string[]) => runCli(['db', 'vacuum', ...args], {env: sandbox.env})

  it("runs VACUUM (ANALYZE) on logs; its figures are PostgreSQL's own statistics", async () => {
    const before = await tableStats(admin)
    const result = await vacuum(['--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    const after = await tableStats(admin)
    expect(json).to.include({analyze: true, full: false, statement: 'VACUUM (ANALYZE) logs', table: 'logs'})
    expect(json.before).to.include({deadTuples: before.n_dead_tup, totalBytes: before.size})
    expect(json.after).to.include({deadTuples: 0, liveTuples: after.n_live_tup, totalBytes: after.size})
    expect(after.n_dead_tup).to.equal(0)
    expect(json.after.lastVacuum).to.equal(after.last_vacuum.toISOString())
    expect(json.returnedBytes).to.equal(Math.max(0, before.size - after.size))
  })

  it('--full --dry-run shows the statement, the table and the disk check, and changes nothing', async () => {
    const before = await tableStats(admin)
    const result = await vacuum(['--full', '--dry-run', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const plan = JSON.parse(result.stdout)
    expect(plan).to.include({full: true, statement: 'VACUUM (FULL, ANALYZE) logs'}).and.not.have.property('after')
    expect(plan.disk).to.include({checked: true, neededBytes: before.size})
    expect((await tableStats(admin)).relfilenode).to.equal(before.relfilenode)
  })

  it('--full asks for confirmation first, and changes nothing without it', async () => {
    const before = await tableStats(admin)
    const result = await vacuum(['--full'])
    expect(result.exitCode).to.equal(64)
    expect(result.stdout).to.include('Would run: VACUUM (FULL, ANALYZE) logs')
    expect(result.stderr).to.include('maintenance window').and.include('--yes')
    expect((await tableStats(admin)).relfilenode).to.equal(before.relfilenode)
  })

  it('--full --yes rewrites the table after checking the free disk, and reports the space returned', async () => {
    const before = await tableStats(admin)
    const result = await vacuum(['--full', '--yes', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    const after = await tableStats(admin)
    expect(after.relfilenode).to.not.equal(before.relfilenode)
    expect(json.disk).to.include({checked: true, neededBytes: before.size})
    expect(json.disk.freeBytes).to.be.greaterThan(json.disk.neededBytes)
    expect(json.after.totalBytes).to.equal(after.size)
    expect(json.returnedBytes).to.equal(before.size - after.size).and.be.greaterThan(0)
  })

  it('--full gives up after --lock-timeout while a session uses the table, naming it (exit 75)', async () => {
    const reader = await sandbox.db()
    try {
      await reader.query('BEGIN')
      const {rows} = await reader.query('SELECT pg_backend_pid() AS pid, (SELECT count(*) FROM logs) AS n')
      const before = await tableStats(admin)
      const result = await vacuum(['--full', '--yes', '--lock-timeout', '300ms'])
      expect(result.exitCode).to.equal(75)
      expect(result.stderr).to.include(`pid ${rows[0].pid} (AccessShareLock`).and.include('nothing was changed')
      expect((await tableStats(admin)).relfilenode).to.equal(before.relfilenode)
    } finally {
      await reader.end()
    }
  })

  it('names a table that does not exist (exit 64)', async () => {
    const result = await vacuum(['--table', 'no_such_table'])
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('there is no table "no_such_table" in database kasm')
  })

  it('refuses an empty or crafted table name before it reaches PostgreSQL (exit 64, JSON too)', async () => {
    const before = await tableStats(admin)
    for (const table of ['', 'logs; DROP TABLE logs', '"logs"', 'a.b.c', 'x'.repeat(64)]) {
      const result = await vacuum(['--table', table, '--json'])
      expect(result.exitCode, table).to.equal(64)
      const {error} = JSON.parse(result.stdout)
      expect(error, table).to.include({code: 'USAGE', message: `--table "${table}" is not a table name: use a name such as logs or schema.table (letters, digits, _ and $, at most 63 characters each)`})
    }

    expect((await tableStats(admin)).n_dead_tup).to.equal(before.n_dead_tup)
  })
})
