import {expect} from 'chai'

import type {LivePlanJson, RoleTarget} from '../../src/lib/plan/live.js'
import {runCli} from '../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../helpers/sandbox.js'

/**
 * `plan --live` against the sandbox, reshaped in the database: Chrome only (2 cores, 2.768 GB), and
 * no sessions unless a test places some. The seed's agents then hold, by Kasm's per-agent rule
 * (min of cores and memory over the image's, per agent; overrides count):
 *   default: agent-1 12c/24 GiB → 6, agent-2 24c (override)/32 GiB → 12, agent-3 4c/8 GiB → 2 = 20
 *   east:    agent-4 8c/24 GiB (override) → 4, agent-5 12c/24 GiB → 6 = 10
 *   enclave: agent-6 4c/8 GiB → 2
 */
describe('kasmctl plan --live', () => {
  let sandbox: TestSandbox
  const GiB = 1024 ** 3

  const sql = async (text: string) => {
    const db = await sandbox.db()
    await db.query(text).finally(() => db.end())
  }

  const plan = async (args: string[] = []): Promise<LivePlanJson> => {
    const result = await runCli(['plan', '--live', '--json', ...args], {env: sandbox.env})
    expect(result.exitCode, result.stderr + result.stdout).to.equal(0)
    return JSON.parse(result.stdout) as LivePlanJson
  }

  const targetOf = (doc: LivePlanJson, role: RoleTarget['role'], target: string) => doc.target!.find((row) => row.role === role && row.target === target)!

  before(async () => {
    sandbox = await useSandbox()
  })
  beforeEach(async () => {
    await sandbox.reset()
    await sql(`DELETE FROM kasms`)
    await sql(`UPDATE images SET enabled = false WHERE name NOT LIKE 'kasmweb/chrome:%'`)
  })

  it('counts the sessions each zone holds agent by agent, now and with its largest one or two agents lost', async () => {
    const doc = await plan()
    const room = Object.fromEntries(doc.zones.map((zone) => [zone.zone, zone.images.map((i) => [i.image, i.now, i.nPlus1, i.largestAgent, i.nPlus2])]))
    expect(room).to.deep.equal({
      default: [['Chrome', 20, 8, 'agent-2', 2]],
      east: [['Chrome', 10, 4, 'agent-5', 0]],
      enclave: [['Chrome', 2, 0, 'agent-6', 0]],
    })
    expect(doc.target).to.equal(null)
  })

  it('says what one web app lost leaves: the sandbox\'s two at 150 sessions each, or one once the other stops', async () => {
    expect((await plan()).webapps).to.deep.equal({count: 2, healthy: 2, holds: 300, holdsWithOneLost: 150, perServer: 150})
    await sandbox.stopWebapp('webapp-2')
    const doc = await plan(['--sessions', '200'])
    expect(doc.webapps).to.include({healthy: 1, holds: 150, holdsWithOneLost: 0})
    // 200 sessions: 2 web apps at 150, 3 with N+1; one is running.
    expect(targetOf(doc, 'webapp', 'deployment')).to.include({add: 2, have: 1, need: 3})
  })

  it('advises an override for an agent out of CPU with memory to spare, as the guide\'s first example does', async () => {
    // agent-1 full on CPU: 6 Chrome sessions use its 12 cores and 16.6 GB of its 24 GiB.
    await sql(`INSERT INTO kasms (kasm_id, image_id, server_id, operational_status, cores, memory_bytes, created_date, keepalive_date, expiration_date)
               SELECT gen_random_uuid(), i.image_id, s.server_id, 'running', i.cores, i.memory_bytes, localtimestamp, localtimestamp, localtimestamp + interval '1 hour'
                 FROM images i, servers s, generate_series(1, 6) WHERE i.name LIKE 'kasmweb/chrome:%' AND s.hostname = 'agent-1'`)
    const doc = await plan()
    expect(doc.overrides).to.deep.equal([
      // 24 GiB / 2.768 GB = 9 sessions by memory: 18 CPUs make memory the limit.
      {agent: 'agent-1', counted: {cores: 12, memory: 24 * GiB}, image: 'Chrome', perAgent: 6, perAgentWithOverride: 9, suggested: {cores: 18, memory: 24 * GiB}, zone: 'default'},
    ])
    expect((await plan(['--use-case', 'gaming'])).overrides).to.deep.equal([])
  })

  it('with --sessions says per role what to add: agents placed one by one, N+2 for static agents', async () => {
    // No sessions anywhere: the target goes to the context's default zone. 60 Chrome sessions there:
    // 20 fit now; agents like agent-2 (12 each) → 4 more hold 60 (68); N+2 (losing two 12-session
    // agents) needs 6 more (92 - 24 = 68 ≥ 60; with 5: 80 - 24 = 56).
    const doc = await plan(['--sessions', '60'])
    expect(targetOf(doc, 'agent', 'default')).to.include({add: 6, have: 3, need: 9})
    expect(targetOf(doc, 'webapp', 'deployment')).to.include({add: 0, have: 2, need: 2})
    expect(targetOf(doc, 'connection-proxy', 'default')).to.include({add: 0, have: 2, need: 2})
    // 60 sessions with the seed's 7-day internal log retention: the guide wants a SIEM from about 50.
    expect(targetOf(doc, 'database', 'deployment').summary).to.equal(
      'size it 4c4g with 80 GB disk (the 50-200 tier); logs are kept 7 days in the database: forward them to a SIEM and set log_retention to 0',
    )
    expect(doc.target!.some((row) => row.target === 'east')).to.equal(false)
    const autoscaled = await plan(['--sessions', '60', '--autoscale'])
    expect(targetOf(autoscaled, 'agent', 'default')).to.include({add: 4, need: 7})
  })

  it('asks for a second connection proxy where RDP servers have only one', async () => {
    await sql(`DELETE FROM connection_proxies WHERE server_address = 'guac-2'`)
    const doc = await plan(['--sessions', '10'])
    expect(targetOf(doc, 'connection-proxy', 'default')).to.include({add: 1, have: 1, need: 2})
  })

  it('prints the room per zone and image, and the target with the guide\'s reasons', async () => {
    const result = await runCli(['plan', '--live', '--sessions', '60'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^default\s+3\/3\s+0\s+Chrome \(2c2640m\)\s+20\s+8 \(agent-2\)\s+2$/m)
    expect(result.stdout).to.match(/^agent\s+default\s+3\s+9\s+\+6\s+60 sessions \(100% of 60\) placed agent by agent: 6 more like agent-2 \(24c32g\)/m)
    expect(result.stdout).to.include('why: Sizing guide › Agent Role: «For large deployments with static agents, it is recommended to keep the number of agents at N+2')
  })
})
