import {expect} from 'chai'

import {
  agentCapacities,
  type AgentCapacity,
  checkRemoval,
  chooseAgent,
  fitsOn,
  freeResources,
  holdsResources,
  imageLoad,
  largestAgents,
  loseAgents,
  placeSessions,
  roomFor,
  type SessionLoad,
  slotsIn,
  slotsOn,
} from '../../../src/lib/capacity/index.js'
import {normalizeImage} from '../../../src/lib/kasm/normalize.js'
import {dockerAgent, GIB, ZONE} from './fixtures.js'
import type {Kasm, Server} from '../../../src/lib/kasm/types.js'



let counter = 0
function kasm(on: Server, cores: number, memoryGib: number, status = 'running', image = 'Chrome', gpus = 0): Kasm {
  counter++
  return {cores, gpus, image: {friendly_name: image}, kasm_id: `k${counter}`, memory: memoryGib * GIB, operational_status: status, server_id: on.server_id}
}

function session(image: string, cores: number, memoryGib: number, gpus = 0): SessionLoad {
  counter++
  return {id: `s${counter}`, image, size: {cores, gpus, memory: memoryGib * GIB}}
}

const size = (cores: number, memoryGib: number, gpus = 0) => ({cores, gpus, memory: memoryGib * GIB})
const hostnames = (agents: AgentCapacity[]) => agents.map((a) => a.hostname)
const leastLoad = {loadStrategy: 'least_load', prioritizeStatic: true}

describe('capacity model (pure, Kasm\'s per-agent rule)', () => {
  describe('free resources per agent', () => {
    it('counts each override when > 0, else the detected value', () => {
      const [plain, overridden] = agentCapacities(
        [dockerAgent(1, 8, 16), dockerAgent(2, 8, 16, {cores_override: 32, gpus: 1, gpus_override: 2, memory_override: 64 * GIB})],
        [],
      )
      expect(plain.total).to.deep.equal(size(8, 16))
      expect(overridden.total).to.deep.equal(size(32, 64, 2))
      expect(overridden.physicalCores).to.equal(8)
    })

    it('subtracts sessions running, starting, deleting, pausing and stopping; not paused, stopped or others', () => {
      const a = dockerAgent(1, 16, 32)
      const states = ['running', 'starting', 'deleting', 'pausing', 'stopping', 'paused', 'stopped', 'requested', 'saving']
      const [agent] = agentCapacities([a], states.map((s) => kasm(a, 1, 1, s)))
      expect(agent.sessions.map((s) => s.status)).to.deep.equal(['running', 'starting', 'deleting', 'pausing', 'stopping'])
      expect(freeResources(agent)).to.deep.equal(size(11, 27))
      expect(holdsResources('paused')).to.equal(false)
    })

    it('ignores RDP/VNC servers and other zones when asked for one zone', () => {
      const agents = agentCapacities([dockerAgent(1, 8, 8), dockerAgent(2, 8, 8, {server_type: 'Desktop'}), dockerAgent(3, 8, 8, {zone_id: 'b'.repeat(32)})], [], ZONE)
      expect(hostnames(agents)).to.deep.equal(['agent-1'])
    })
  })

  describe('does a size fit on an agent', () => {
    it('needs free cores, memory and gpus on that one agent', () => {
      const a = dockerAgent(1, 8, 16, {gpus: 1})
      const [agent] = agentCapacities([a], [kasm(a, 6, 4)])
      expect(fitsOn(agent, size(2, 12))).to.equal(true)
      expect(fitsOn(agent, size(3, 1))).to.equal(false)
      expect(fitsOn(agent, size(1, 13))).to.equal(false)
      expect(fitsOn(agent, size(1, 1, 1))).to.equal(true)
      expect(fitsOn(agent, size(1, 1, 2))).to.equal(false)
    })

    it('never exceeds the physical cores, whatever the override', () => {
      const [agent] = agentCapacities([dockerAgent(1, 4, 64, {cores_override: 32})], [])
      expect(fitsOn(agent, size(4, 1))).to.equal(true)
      expect(fitsOn(agent, size(6, 1))).to.equal(false)
      expect(slotsOn(agent, size(6, 1))).to.equal(0)
      expect(slotsOn(agent, size(4, 1))).to.equal(8)
    })

    it('never places on a disabled or not-running agent', () => {
      const agents = agentCapacities([dockerAgent(1, 8, 8, {enabled: false}), dockerAgent(2, 8, 8, {operational_status: 'missing'})], [])
      expect(agents.map((a) => fitsOn(a, size(1, 1)))).to.deep.equal([false, false])
      expect(slotsIn(agents, size(1, 1))).to.equal(0)
    })

    it('counts slots per agent: whichever resource runs out first, fractional cores without rounding loss', () => {
      const [agent] = agentCapacities([dockerAgent(1, 3, 10)], [])
      expect(slotsOn(agent, size(0.5, 1))).to.equal(6)
      expect(slotsOn(agent, size(1, 4))).to.equal(2)
      expect(slotsOn(agent, size(0.1, 0.1))).to.equal(30)
    })
  })

  describe('a fragmented zone: pooled arithmetic says "fits", Kasm says "no"', () => {
    // Three agents with 3 free cores each: 9 free cores in the zone, no room for a 4-core image.
    const servers = [dockerAgent(1, 4, 16), dockerAgent(2, 4, 16), dockerAgent(3, 4, 16)]
    const kasms = servers.map((s) => kasm(s, 1, 2))
    const agents = agentCapacities(servers, kasms)

    it('has 0 slots of the 4-core image, though 9 cores are free', () => {
      expect(agents.reduce((sum, a) => sum + freeResources(a).cores, 0)).to.equal(9)
      expect(slotsIn(agents, size(4, 2))).to.equal(0)
      expect(roomFor(agents, size(4, 2), leastLoad).now).to.equal(0)
      expect(chooseAgent(agents, {size: size(4, 2)}, leastLoad)).to.equal(undefined)
    })

    it('cannot take out an agent whose session is the last one that fits nowhere else', () => {
      const full = agentCapacities(servers, [kasm(servers[0], 4, 2), kasm(servers[1], 1, 2), kasm(servers[2], 1, 2)])
      const outcome = checkRemoval(full, [servers[0].server_id], leastLoad, {sessions: 0})
      expect(outcome.ok).to.equal(false)
      expect(outcome.removal.unplaced.map((s) => s.size.cores)).to.deep.equal([4])
    })
  })

  describe('placing sessions one by one', () => {
    it('places the largest first, each where the load strategy says', () => {
      const agents = agentCapacities([dockerAgent(1, 4, 32), dockerAgent(2, 4, 32)], [])
      // In the order given, least_load would spread the two 2-core sessions and leave no agent 4 free cores.
      const result = placeSessions(agents, [session('small', 2, 1), session('small', 2, 1), session('big', 4, 1)], leastLoad)
      expect(result.placed.map((p) => `${p.session.image}@${p.hostname}`)).to.deep.equal(['big@agent-1', 'small@agent-2', 'small@agent-2'])
      expect(result.unplaced).to.deep.equal([])
      expect(agents[0].sessions).to.deep.equal([])
    })

    it('reports what did not fit', () => {
      const agents = agentCapacities([dockerAgent(1, 4, 8)], [])
      const result = placeSessions(agents, [session('a', 3, 1), session('b', 3, 1)], leastLoad)
      expect(result.placed).to.have.length(1)
      expect(result.unplaced.map((s) => s.image)).to.deep.equal(['b'])
    })

    it('ranks by each load strategy, static agents first when the zone says so', () => {
      // a: one big session (half its cores); b: three small ones (a quarter of its cores).
      const [a, b] = [dockerAgent(1, 8, 16, {hostname: 'a'}), dockerAgent(2, 16, 32, {hostname: 'b'})]
      const agents = agentCapacities([a, b], [kasm(a, 4, 4), kasm(b, 1, 1), kasm(b, 1, 1), kasm(b, 2, 2)])
      const pick = (loadStrategy: string) => chooseAgent(agents, {size: size(2, 2)}, {loadStrategy, prioritizeStatic: true})?.hostname
      expect([pick('least_load'), pick('most_load'), pick('least_kasms'), pick('fewest_sessions'), pick('most_kasms'), pick('most_sessions')]).to.deep.equal(['b', 'a', 'a', 'a', 'b', 'b'])
      expect(pick('no-such-strategy')).to.equal('b')
      const mixed = agentCapacities([dockerAgent(3, 8, 16, {autoscale_config_id: 'x', hostname: 'auto'}), dockerAgent(4, 8, 16, {hostname: 'static'})], [])
      expect(chooseAgent(mixed, {size: size(1, 1)}, {loadStrategy: 'least_load', prioritizeStatic: true})?.hostname).to.equal('static')
      expect(chooseAgent(mixed, {size: size(1, 1)}, {loadStrategy: 'least_load', prioritizeStatic: false})?.hostname).to.equal('auto')
    })
  })

  describe('losing agents: now, N+1, N+2', () => {
    // agent-1 16 cores with 4 sessions of 2, agent-2 8 cores with 1 session of 2, agent-3 4 cores empty.
    const servers = [dockerAgent(1, 16, 64), dockerAgent(2, 8, 64), dockerAgent(3, 4, 64)]
    const kasms = [...Array.from({length: 4}, () => kasm(servers[0], 2, 2)), kasm(servers[1], 2, 2)]
    const agents = agentCapacities(servers, kasms)

    it('loses the largest available agents first', () => {
      expect(hostnames(largestAgents(agents, 2))).to.deep.equal(['agent-1', 'agent-2'])
    })

    it('places the lost agents\' sessions before counting what more fits', () => {
      const room = roomFor(agents, size(2, 2), leastLoad)
      // now: 4 + 3 + 2. N+1: agent-1's 4 sessions go to agent-2 (3) and agent-3 (1): 0 + 1 more.
      expect(room.now).to.equal(9)
      expect(room.nPlus1).to.deep.include({lost: ['agent-1'], more: 1, unplaced: []})
      // N+2: 5 sessions for agent-3's 2 slots: 3 users get no session back.
      expect(room.nPlus2.lost).to.deep.equal(['agent-1', 'agent-2'])
      expect(room.nPlus2.more).to.equal(0)
      expect(room.nPlus2.unplaced).to.have.length(3)
    })

    it('only running and starting sessions come back: pausing, stopping and deleting ones need no new place', () => {
      const a = dockerAgent(1, 8, 8)
      const [gone, stays] = agentCapacities([a, dockerAgent(2, 2, 8)], [kasm(a, 2, 1, 'pausing'), kasm(a, 2, 1, 'deleting'), kasm(a, 2, 1, 'starting')])
      const outcome = loseAgents([gone, stays], [gone.serverId], leastLoad)
      expect(outcome.displaced.map((s) => s.status)).to.deep.equal(['starting'])
      expect(outcome.unplaced).to.deep.equal([])
    })
  })

  describe('taking agents out with headroom', () => {
    it('counts {sessions: N} in sessions of the largest session in use', () => {
      const servers = [dockerAgent(1, 8, 32), dockerAgent(2, 8, 32), dockerAgent(3, 8, 32)]
      const agents = agentCapacities(servers, [kasm(servers[0], 4, 4, 'running', 'Ubuntu'), kasm(servers[0], 2, 2), kasm(servers[1], 2, 2)])
      const outcome = checkRemoval(agents, [servers[0].server_id], leastLoad, {sessions: 2})
      // Ubuntu goes to agent-3 (emptiest), Chrome to agent-2: each keeps 4 free cores, one more Ubuntu each.
      expect(outcome.ok).to.equal(true)
      expect(outcome.headroom.reference?.image).to.equal('Ubuntu')
      expect(outcome.headroom.more).to.equal(2)
      expect(checkRemoval(agents, [servers[0].server_id], leastLoad, {sessions: 3}).ok).to.equal(false)
    })

    it('counts {agents: N} as "the zone can still lose its N largest remaining agents"', () => {
      // agent-1 16 cores (three 2-core sessions), agent-2 8 cores (one), agent-3 4 cores (none).
      const servers = [dockerAgent(1, 16, 64), dockerAgent(2, 8, 64), dockerAgent(3, 4, 64)]
      const agents = agentCapacities(servers, [kasm(servers[0], 2, 2), kasm(servers[0], 2, 2), kasm(servers[0], 2, 2), kasm(servers[1], 2, 2)])
      // Without agent-3, losing agent-1 too still leaves agent-2 room for its three sessions.
      expect(checkRemoval(agents, [servers[2].server_id], leastLoad, {agents: 1}).ok).to.equal(true)
      // Without agent-2 (its session goes to agent-3), agent-1's three sessions would not fit on agent-3.
      const refused = checkRemoval(agents, [servers[1].server_id], leastLoad, {agents: 1})
      expect(refused.ok).to.equal(false)
      expect(refused.removal.unplaced).to.deep.equal([])
      expect(refused.headroom.loss?.unplaced).to.have.length(2)
      const two = checkRemoval(agents, [servers[1].server_id, servers[2].server_id], leastLoad, {agents: 1})
      expect(two.remainingAgents).to.equal(1)
      expect(two.ok).to.equal(false)
      expect(checkRemoval(agents, [servers[1].server_id, servers[2].server_id], leastLoad, {agents: 0}).ok).to.equal(true)
    })

    it('passes a headroom of sessions when no session is in use to size it by', () => {
      const servers = [dockerAgent(1, 8, 32), dockerAgent(2, 8, 32)]
      expect(checkRemoval(agentCapacities(servers, []), [servers[0].server_id], leastLoad, {sessions: 5}).ok).to.equal(true)
    })
  })

  describe('images from get_images', () => {
    it('reads memory and sizes in the 1.15 and the 1.19 spelling, with Kasm\'s defaults', () => {
      const old = normalizeImage({cores: 2, gpu_count: 1, image_id: 'c4b7', memory: 2_768_000_000, name: 'kasmweb/chrome', uncompressed_size_mb: 1500})
      const modern = normalizeImage({cores: 2, gpu_count: 1, image_id: 'c4b7', memory_bytes: 2_768_000_000, name: 'kasmweb/chrome', uncompressed_size_bytes: 1_500_000_000})
      expect(old).to.deep.equal(modern)
      expect(old).to.include({cores: 2, enabled: true, gpu_count: 1, memory: 2_768_000_000, uncompressed_size_bytes: 1_500_000_000})
      expect(normalizeImage({image_id: 'x', name: 'bare'})).to.include({cores: 1, gpu_count: 0, memory: 768_000_000, uncompressed_size_bytes: null})
      expect(imageLoad(normalizeImage({cores: 2, friendly_name: 'Chrome', gpu_count: 1, image_id: 'x', memory: 5, name: 'n'}))).to.deep.include({
        image: 'Chrome',
        size: {cores: 2, gpus: 1, memory: 5},
      })
    })
  })
})
