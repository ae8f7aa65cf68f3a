import {expect} from 'chai'

import {runCli} from '../../helpers/cli.js'
import {useSandbox} from '../../helpers/sandbox.js'

// Where an operator sees which Kasm release kasmctl is talking to (health on 1.19: test/commands/health.test.ts).
describe('the Kasm version in context show, health and --verbose', () => {
  it('context show names 1.15 by the API\'s shape (its alembic revision is undocumented)', async () => {
    const sandbox = await useSandbox({kasmVersion: '1.15'})
    const table = await runCli(['context', 'show'], {env: sandbox.env})
    expect(table.exitCode, table.stderr).to.equal(0)
    expect(table.stdout).to.match(/^kasm version: +1\.15 \(api: get_zones has 0 of the 7 RDP fields\)$/m)
    expect(table.stderr).to.equal('')
    const json = JSON.parse((await runCli(['context', 'show', '--json'], {env: sandbox.env})).stdout)
    expect(json.kasmVersion).to.deep.equal({alembicRevision: 'sandbox01150', evidence: 'get_zones has 0 of the 7 RDP fields', source: 'api', version: '1.15', warning: null})
  })

  it('health --role db reads the database first, then the API\'s shape for 1.15 (its revision is unknown)', async () => {
    const sandbox = await useSandbox({kasmVersion: '1.15'})
    const report = JSON.parse((await runCli(['health', '--role', 'db', '--json'], {env: sandbox.env})).stdout)
    expect(report.kasmVersion).to.deep.equal({alembicRevision: 'sandbox01150', evidence: 'get_zones has 0 of the 7 RDP fields', source: 'api', version: '1.15', warning: null})
  })

  it('--verbose names 1.16 from the database on stderr, leaving stdout to the command', async () => {
    const sandbox = await useSandbox({kasmVersion: '1.16'})
    const result = await runCli(['zone', 'list', '--verbose', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stderr).to.include('[debug] Kasm version: 1.16 (database: alembic revision 8ddb88a590be)')
    expect(JSON.parse(result.stdout).zones).to.have.length(3)
  })

  describe('a release kasmctl does not know', () => {
    const sandbox = useSandbox()

    before(async () => {
      const db = await (await sandbox).db()
      try {
        await db.query(`UPDATE alembic_version SET version_num = 'feedc0ffee00'`)
      } finally {
        await db.end()
      }
    })

    after(async () => (await sandbox).reset())

    it('gets a warning, never a refusal', async () => {
      const {env} = await sandbox
      const show = await runCli(['context', 'show', '--json'], {env})
      expect(show.exitCode).to.equal(0)
      expect(JSON.parse(show.stdout).kasmVersion).to.include({alembicRevision: 'feedc0ffee00', source: 'api', version: '1.19'})
      expect(show.stderr).to.include('Warning: alembic revision feedc0ffee00 is not one kasmctl knows (it knows 1.15, 1.16, 1.19); the API looks like 1.19: a newer release may differ.')
      const zones = await runCli(['zone', 'list', '--verbose'], {env})
      expect(zones.exitCode).to.equal(0)
      expect(zones.stderr).to.include('Warning: alembic revision feedc0ffee00 is not one kasmctl knows')
    })
  })
})
