import {expect} from 'chai'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {agentState} from './fixtures.js'

describe('agent list / get / capacity / enable / disable', () => {
  let sandbox: TestSandbox
  const kasmctl = (...args: string[]) => runCli(args, {env: sandbox.env})

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  it('lists the agents of a zone with their capacity, as a stable JSON document', async () => {
    const result = await kasmctl('agent', 'list', '--zone', 'east', '--json')
    expect(result.exitCode, result.stderr).to.equal(0)
    const {agents} = JSON.parse(result.stdout)
    expect(agents.map((a: {hostname: string}) => a.hostname)).to.deep.equal(['agent-4', 'agent-5'])
    expect(Object.keys(agents[0])).to.deep.equal([
      'server_id', 'hostname', 'zone_id', 'zone_name', 'enabled', 'operational_status', 'last_reported', 'last_reported_age_seconds', 'sessions',
      'cores', 'cores_override', 'memory', 'memory_override', 'effective_cores', 'effective_memory', 'free_sessions', 'agent_version', 'disabled',
    ])
    const overridden = agents.find((a: {memory_override: number}) => a.memory_override > 0)
    expect(overridden.effective_memory).to.equal(overridden.memory_override)
    expect(agents[0].last_reported_age_seconds).to.be.below(30)
  })

  it('shows a table with the check-in age and the overrides marked', async () => {
    const result = await kasmctl('agent', 'list')
    expect(result.stdout).to.match(/^HOSTNAME\s+ZONE\s+ENABLED\s+STATUS\s+CHECK-IN\s+SESSIONS\s+CORES\s+MEMORY\s+FREE/)
    expect(result.stdout.split('\n').filter((l) => /^agent-\d/.test(l))).to.have.length(6)
    expect(result.stdout).to.include('* override set in Kasm')
  })

  it('gets one agent by hostname or dashed id prefix, with its sessions', async () => {
    const byName = JSON.parse((await kasmctl('agent', 'get', 'agent-4', '--json')).stdout)
    expect(byName.session_list.every((s: {hostname: string}) => s.hostname === 'agent-4')).to.equal(true)
    expect(byName.session_list).to.have.length(byName.sessions)
    const dashed = `${byName.server_id.slice(0, 8)}-${byName.server_id.slice(8, 12)}`
    expect(JSON.parse((await kasmctl('agent', 'get', dashed, '--json')).stdout).hostname).to.equal('agent-4')
  })

  it('names the known agents for an unknown one (exit 64), and the matches for an ambiguous one', async () => {
    const unknown = await kasmctl('agent', 'get', 'agent-9')
    expect(unknown.exitCode).to.equal(64)
    expect(unknown.stderr).to.match(/no agent "agent-9": known agents.*agent-1, agent-2, agent-3, agent-4, agent-5.*agent-6/)
    // Arrange two hostnames that differ only by case: "AGENT-1" then designates both.
    const db = await sandbox.db()
    await db.query(`UPDATE servers SET hostname = 'Agent-1' WHERE hostname = 'agent-6'`).finally(() => db.end())
    try {
      const ambiguous = await kasmctl('agent', 'disable', 'AGENT-1', '--json')
      expect(ambiguous.exitCode).to.equal(64)
      const {error} = JSON.parse(ambiguous.stdout)
      expect(error.code).to.equal('NOT_FOUND')
      expect(error.details.matches.map((m: {name: string}) => m.name).sort()).to.deep.equal(['Agent-1', 'agent-1'])
      expect((await agentState(sandbox, 'agent-1')).enabled).to.equal(true)
    } finally {
      await sandbox.reset()
    }
  })

  it('disable and enable are idempotent, keep the reason, and send what Kasm accepts (server_type)', async () => {
    const first = await kasmctl('agent', 'disable', 'agent-1', '--reason', 'kernel update', '--ignore-capacity', '--json')
    expect(first.exitCode, first.stderr).to.equal(0)
    expect(JSON.parse(first.stdout).agents[0]).to.deep.include({changed: true, enabled: false, hostname: 'agent-1', reason: 'kernel update'})
    expect((await agentState(sandbox, 'agent-1')).enabled).to.equal(false)

    const again = await kasmctl('agent', 'disable', 'agent-1', '--ignore-capacity')
    expect([again.exitCode, again.stdout.trim()]).to.deep.equal([0, 'agent agent-1 already disabled (reason: kernel update)'])
    const listed = JSON.parse((await kasmctl('agent', 'list', '--json')).stdout).agents.find((a: {hostname: string}) => a.hostname === 'agent-1')
    expect(listed.disabled).to.deep.include({by: 'disable', drain: null, reason: 'kernel update'})

    expect((await kasmctl('agent', 'enable', 'agent-1')).stdout.trim()).to.equal('agent agent-1 enabled')
    const enabledAgain = await kasmctl('agent', 'enable', 'agent-1', '--json')
    expect([enabledAgain.exitCode, JSON.parse(enabledAgain.stdout).agents[0].changed]).to.deep.equal([0, false])
    expect((await agentState(sandbox, 'agent-1')).enabled).to.equal(true)
  })

  it('refuses to disable one of the two agents of zone east (capacity guard, exit 1 with the numbers)', async () => {
    const result = await kasmctl('agent', 'disable', 'agent-4', '--json')
    expect(result.exitCode).to.equal(1)
    const {error} = JSON.parse(result.stdout)
    expect(error.code).to.equal('CAPACITY')
    expect(error.message).to.match(
      /^taking agent-4 out of service: its \d+ sessions? finds? a place on the 1 available agent that stays in zone "east", but losing agent-5 as well would leave \d+ sessions? without a place: \d+ × .* \(headroom 1 agent\)$/,
    )
    expect(error.hint).to.match(/nothing was changed.*--ignore-capacity/)
    expect(error.details.capacity).to.deep.include({ok: false, remaining_agents: 1, removing: ['agent-4'], unplaced: [], zone_name: 'east'})
    expect((await agentState(sandbox, 'agent-4')).enabled).to.equal(true)
    const dryRun = await kasmctl('agent', 'disable', 'agent-4', '--headroom', '0', '--dry-run')
    expect(dryRun.stdout).to.match(/capacity ok: zone "east": its \d+ sessions? finds? a place on the 1 available agent that stays, with room for \d+ more [^\n]*\(headroom 0 sessions\)\nwould disable agent agent-4 \(dry run\)/)
    expect((await agentState(sandbox, 'agent-4')).enabled).to.equal(true)
  })

  it("reports per zone how many more of each image in use fit now, at N+1 and N+2 (docs/json.md)", async () => {
    const {zones} = JSON.parse((await kasmctl('agent', 'capacity', '--json')).stdout)
    const east = zones.find((z: {zone_name: string}) => z.zone_name === 'east')
    expect(east).to.include({agents: 2, available_agents: 2, can_lose_one: false, can_lose_two: false, load_strategy: 'most_kasms'})
    expect(east.total).to.deep.equal({cores: 20, gpus: 0, memory: 48 * 1024 ** 3})
    expect(east.images.map((i: {image: string}) => i.image)).to.deep.equal(['Chrome', 'Firefox', 'Ubuntu Desktop'])
    expect(Object.keys(east.images[0])).to.deep.equal(['image', 'image_id', 'n_plus_1', 'n_plus_2', 'now', 'sessions', 'size'])
    expect(east.images[0].n_plus_1.lost).to.deep.equal(['agent-5'])
    const enclave = JSON.parse((await kasmctl('agent', 'capacity', '--zone', 'enclave', '--json')).stdout).zones
    expect(enclave).to.have.length(1)
    expect(enclave[0]).to.include({can_lose_one: true, sessions: 0, zone_name: 'enclave'})
  })
})
