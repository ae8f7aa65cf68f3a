import {expect} from 'chai'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse as parseYaml} from 'yaml'

import {baseEnv, runCli} from '../helpers/cli.js'

describe('kasmctl plan (offline)', () => {
  let dir: string
  // No context anywhere: the offline plan needs none.
  const plan = (args: string[]) => runCli(['plan', ...args], {env: baseEnv({KASMCTL_CONFIG: join(dir, 'none.yaml'), XDG_CONFIG_HOME: dir})})

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-plan-'))
  })
  after(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  it('prints each role with its count, spec and the guide\'s rules, with no context configured', async () => {
    const result = await plan(['--sessions', '200'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^webapp\s+3\s+4 CPUs, 4 GiB RAM, 80 GiB disk\s+2 for 200 sessions at 150 per server/m)
    expect(result.stdout).to.match(/^agent\s+27\s+16 CPUs, 64 GiB RAM\s+25 for 200 container sessions, \+2 for N\+2 = 27; 15 with the override$/m)
    expect(result.stdout).to.include('why: Sizing guide › Web App Role › Server Specifications (Standard): «4 CPUs, 4GB RAM, 80 GB HD: 70 to 150 concurrent sessions»')
    expect(result.stdout).to.include('(defaults: --use-case, --architecture, --workspace, --agent-size, --rdp-sessions)')
  })

  it('--json: {mode, inputs, roles: [{role, count, spec, summary, why, notes}], workspaces, warnings} (docs/json.md)', async () => {
    const result = await plan(['--sessions', '1200', '--rdp-sessions', '200', '--recording', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const doc = JSON.parse(result.stdout)
    expect(Object.keys(doc)).to.have.members(['mode', 'inputs', 'roles', 'workspaces', 'warnings'])
    expect(doc.mode).to.equal('offline')
    expect(doc.roles.map((r: {role: string}) => r.role)).to.deep.equal(['webapp', 'database', 'agent', 'connection-proxy', 'redis'])
    for (const row of doc.roles) expect(Object.keys(row)).to.have.members(['role', 'count', 'spec', 'summary', 'why', 'notes'])
    const database = doc.roles.find((r: {role: string}) => r.role === 'database')
    expect(database.spec).to.equal(null)
    expect(doc.warnings[0]).to.include('beyond the Database table')
    // The warning goes to stderr too; stdout stays the JSON document.
    expect(result.stderr).to.include('Warning: database: 1200 sessions is beyond the Database table')
    expect(doc.workspaces[0]).to.include({perAgent: 5, sessions: 1000, workspace: '2c4g'})
  })

  it('-o yaml prints the same document', async () => {
    const result = await plan(['--sessions', '300', '--autoscale', '-o', 'yaml'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const doc = parseYaml(result.stdout)
    expect(doc.inputs.agents).to.equal('autoscale')
    expect(doc.roles.find((r: {role: string}) => r.role === 'agent').count).to.equal(38) // 300 / 8, no N+2
  })

  for (const [args, message] of [
    [['--sessions', '0'], '--sessions "0" is not a session count: use a whole number from 1 to 1,000,000'],
    [['--sessions', '10', '--workspace', '3x'], '--workspace "3x" is not a workspace: use CPUs then memory, e.g. 16c64g, 2c4g'],
    [['--sessions', '10', '--use-case', 'trading'], '--use-case "trading" is not one the sizing guide covers: use remote-work, browser-isolation or gaming'],
    [['--sessions', '10', '--autoscale', '--static-agents'], 'cannot also be provided'],
  ] as const) {
    it(`exits 64 naming the valid forms: plan ${args.join(' ')}`, async () => {
      const result = await plan([...args])
      expect(result.exitCode).to.equal(64)
      expect(result.stderr).to.include(message)
      expect(result.stdout).to.equal('')
    })
  }
})
