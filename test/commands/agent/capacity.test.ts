import {expect} from 'chai'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {call, query} from '../../lib/sandbox/simulator/raw.js'
import {agentState} from './fixtures.js'

/**
 * Capacity the way Kasm places sessions, through the CLI against the sandbox. Zone default is shaped
 * through the database into a fragmented zone: agent-1, agent-2 and agent-3 with 4 cores each;
 * agent-1 runs one Ubuntu Desktop (4 cores), agent-2 and agent-3 one 1-core Firefox each. Pooled,
 * agents 2 and 3 have 6 free cores for agent-1's 4-core session; per agent (Kasm), 3 each: no room.
 */
describe('capacity the way Kasm places sessions (agent capacity, the guard, health)', () => {
  let sandbox: TestSandbox
  const kasmctl = (...args: string[]) => runCli(args, {env: sandbox.env})

  before(async () => {
    sandbox = await useSandbox()
  })

  /** Adds a session of the image (friendly name) on the agent in the given state. */
  async function addSession(hostname: string, image: string, status = 'running'): Promise<void> {
    await query(
      sandbox,
      `INSERT INTO kasms (user_id, image_id, server_id, operational_status, created_date, start_date, keepalive_date, expiration_date, cores, memory_bytes, gpus)
       SELECT (SELECT user_id FROM users WHERE username = 'user1@kasm.local'), i.image_id, s.server_id, $3,
              localtimestamp, localtimestamp, localtimestamp, localtimestamp + interval '1 hour', i.cores, i.memory_bytes, i.gpus
         FROM images i, servers s WHERE i.friendly_name = $2 AND s.hostname = $1`,
      [hostname, image, status],
    )
  }

  beforeEach(async () => {
    await sandbox.reset()
    await query(sandbox, `DELETE FROM kasms`)
    await query(sandbox, `UPDATE servers SET cores = 4, cores_override = 0, memory_bytes = 16 * 1024^3, memory_override_bytes = 0 WHERE hostname IN ('agent-1', 'agent-2', 'agent-3')`)
    await query(sandbox, `UPDATE images SET cores = 1 WHERE friendly_name = 'Firefox'`)
    // request_kasm (through webapp-1, zone default) must not fall back to zone east.
    await query(sandbox, `UPDATE zones SET search_alternate_zones = false WHERE zone_name = 'default'`)
    await addSession('agent-1', 'Ubuntu Desktop')
    await addSession('agent-2', 'Firefox')
    await addSession('agent-3', 'Firefox')
  })

  async function capacityOf(image: string): Promise<Record<string, unknown> & {zone: Record<string, unknown>}> {
    const result = await kasmctl('agent', 'capacity', '--zone', 'default', '--image', image, '--json')
    expect(result.exitCode, result.stderr).to.equal(0)
    const [zone] = JSON.parse(result.stdout).zones
    return {...zone.images[0], zone}
  }

  /** request_kasm for an Ubuntu Desktop through webapp-1: "placed on <agent>" or Kasm's error message. */
  async function requestUbuntu(): Promise<string> {
    const [image] = await query<{image_id: string}>(sandbox, `SELECT image_id FROM images WHERE friendly_name = 'Ubuntu Desktop'`)
    const [user] = await query<{user_id: string}>(sandbox, `SELECT user_id FROM users WHERE username = 'user2@kasm.local'`)
    const res = await call(sandbox, 'request_kasm', {image_id: image.image_id, user_id: user.user_id})
    if (res.json.error_message) return res.json.error_message
    const [row] = await query<{hostname: string}>(sandbox, 'SELECT s.hostname FROM kasms k JOIN servers s USING (server_id) WHERE k.kasm_id = $1', [res.json.kasm_id])
    return `placed on ${row.hostname}`
  }

  it('agent capacity: 0 more of the 4-core image though 6 cores are free, as request_kasm says', async () => {
    const ubuntu = await capacityOf('Ubuntu Desktop')
    expect(ubuntu.zone).to.deep.include({available_agents: 3, free: {cores: 6, gpus: 0, memory: 48 * 1024 ** 3 - 4_000_000_000 - 2 * 2_000_000_000}, sessions: 3})
    expect(ubuntu).to.deep.include({image: 'Ubuntu Desktop', now: 0, sessions: 1, size: {cores: 4, gpus: 0, memory: 4_000_000_000}})
    expect(await requestUbuntu()).to.match(/^No resources are available/)
    // Firefox (1 core): 3 + 3 now; losing agent-1 (first of three equal agents) moves its Ubuntu nowhere.
    const firefox = await capacityOf('Firefox')
    expect(firefox).to.deep.include({now: 6})
    expect(firefox.n_plus_1).to.deep.equal({lost: ['agent-1'], more: 6, unplaced: [{image: 'Ubuntu Desktop', sessions: 1, size: {cores: 4, gpus: 0, memory: 4_000_000_000}}]})
    expect(ubuntu.zone).to.include({can_lose_one: false, can_lose_two: false})
  })

  it('paused and stopped sessions hold no capacity: kasmctl and request_kasm agree', async () => {
    await addSession('agent-2', 'Ubuntu Desktop', 'paused')
    await addSession('agent-3', 'Ubuntu Desktop', 'stopped')
    expect((await capacityOf('Ubuntu Desktop')).now).to.equal(0)
    await query(sandbox, `UPDATE kasms SET operational_status = 'paused' WHERE server_id = (SELECT server_id FROM servers WHERE hostname = 'agent-2') AND cores = 1`)
    const ubuntu = await capacityOf('Ubuntu Desktop')
    expect(ubuntu.now).to.equal(1)
    expect(ubuntu.sessions).to.equal(1)
    // agent list's free column: more sessions of the zone's largest in use (Ubuntu Desktop) per agent.
    const {agents} = JSON.parse((await kasmctl('agent', 'list', '--zone', 'default', '--json')).stdout)
    expect(agents.map((a: {free_sessions: number; hostname: string}) => [a.hostname, a.free_sessions])).to.deep.equal([['agent-1', 0], ['agent-2', 1], ['agent-3', 0]])
    expect(await requestUbuntu()).to.equal('placed on agent-2')
  })

  it('the guard refuses to disable agent-1: its 4-core session has no agent with room, though pooled cores would say it fits', async () => {
    const result = await kasmctl('agent', 'disable', 'agent-1', '--headroom', '0', '--json')
    expect(result.exitCode).to.equal(1)
    const {error} = JSON.parse(result.stdout)
    expect(error.code).to.equal('CAPACITY')
    expect(error.message).to.equal(
      'taking agent-1 out of service would leave 1 of its 1 session without a place in zone "default": 1 × Ubuntu Desktop (4 cores, 3.7 GiB) (Kasm puts each session on one agent with room for all of it; 2 available agents would stay)',
    )
    expect(error.details.capacity).to.deep.include({
      displaced: 1,
      ok: false,
      remaining_agents: 2,
      removing: ['agent-1'],
      unplaced: [{image: 'Ubuntu Desktop', sessions: 1, size: {cores: 4, gpus: 0, memory: 4_000_000_000}}],
    })
    expect((await agentState(sandbox, 'agent-1')).enabled).to.equal(true)
  })

  it('the guard lets agent-1 go once a paused session frees agent-2, and --headroom counts sessions of the largest image in use', async () => {
    await query(sandbox, `UPDATE kasms SET operational_status = 'paused' WHERE server_id = (SELECT server_id FROM servers WHERE hostname = 'agent-2')`)
    const refused = await kasmctl('agent', 'disable', 'agent-1', '--headroom', '1session', '--dry-run', '--json')
    const [tooTight] = JSON.parse(refused.stdout).capacity
    // The Ubuntu moves to agent-2 (the only one with 4 free cores); then no agent has 4 free for another.
    expect(tooTight).to.deep.include({ok: false, unplaced: []})
    expect(tooTight.headroom).to.deep.include({description: '1 session', image: 'Ubuntu Desktop', ok: false, room_for: 0})
    expect(tooTight.message).to.match(/but leaves room for 0 more Ubuntu Desktop \(4 cores, 3\.7 GiB\), fewer than the headroom of 1 session$/)
    const result = await kasmctl('agent', 'disable', 'agent-1', '--headroom', '0')
    expect(result.exitCode, result.stderr).to.equal(0)
    expect((await agentState(sandbox, 'agent-1')).enabled).to.equal(false)
  })

  it('--headroom 1agent (the default): the zone must still place every session after losing its largest remaining agent', async () => {
    await query(sandbox, `UPDATE kasms SET operational_status = 'paused' WHERE image_id = (SELECT image_id FROM images WHERE friendly_name = 'Firefox')`)
    // agent-3 out: the Ubuntu on agent-1 could move to agent-2 if agent-1 were lost too.
    const ok = await kasmctl('agent', 'disable', 'agent-3', '--dry-run')
    expect(ok.stdout).to.match(/^capacity ok: zone "default": no session needs a new place, and every session would still find one after losing agent-1 as well \(headroom 1 agent\)\n/)
    await addSession('agent-2', 'Ubuntu Desktop')
    const refused = await kasmctl('agent', 'disable', 'agent-3', '--json')
    expect(JSON.parse(refused.stdout).error.message).to.match(/but losing agent-1 as well would leave 1 session without a place: 1 × Ubuntu Desktop/)
  })

  it('agent rotate: the plan shows the batch whose sessions would find no place refused, naming the image', async () => {
    const result = await kasmctl('agent', 'rotate', '--zone', 'default', '--exec', 'true', '--headroom', '0', '--dry-run', '--json')
    expect(result.exitCode, result.stderr).to.equal(0)
    const {plan} = JSON.parse(result.stdout)
    expect(plan.map((step: {agents: string[]; capacity: {ok: boolean}}) => [step.agents, step.capacity.ok])).to.deep.equal([
      [['agent-1'], false],
      [['agent-2'], true],
      [['agent-3'], true],
    ])
    expect(plan[0].capacity.unplaced).to.deep.equal([{image: 'Ubuntu Desktop', sessions: 1, size: {cores: 4, gpus: 0, memory: 4_000_000_000}}])
  })

  it('health: the zone\'s N+1 capacity check warns with the images that would have no place', async () => {
    const result = await kasmctl('health', '--role', 'agent', '--zone', 'default', '--json')
    const check = JSON.parse(result.stdout).checks.find((c: {check: string}) => c.check === 'capacity')
    expect(check).to.deep.include({status: 'WARNING', target: 'default', value: 0})
    expect(check.message).to.equal(
      '3 session(s) on 3 available agent(s), room for 0 more Ubuntu Desktop (4 cores, 3.7 GiB); losing agent-1 would leave 1 session(s) without a place: 1 × Ubuntu Desktop (N+1 not met)',
    )
  })

  it('--image names an unknown image: exit 64 naming the images', async () => {
    const result = await kasmctl('agent', 'capacity', '--image', 'Netscape')
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('no image "Netscape": known images: Chrome, Firefox, Ubuntu Desktop')
  })
})
