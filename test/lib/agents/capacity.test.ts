import {expect} from 'chai'

import {canLose, computeZoneCapacity, effectiveResources, sessionsThatFit} from '../../../src/lib/agents/capacity.js'
import {checkCapacity, parseHeadroom} from '../../../src/lib/agents/guard.js'
import {UsageError} from '../../../src/lib/errors.js'
import type {Kasm, Server} from '../../../src/lib/kasm/types.js'

const GIB = 1024 ** 3
const ZONE = 'a'.repeat(32)

function agent(n: number, cores: number, memoryGib: number, extra: Partial<Server> = {}): Server {
  return {
    cores,
    enabled: true,
    hostname: `agent-${n}`,
    memory: memoryGib * GIB,
    operational_status: 'running',
    server_id: String(n).repeat(32),
    server_type: 'host',
    zone_id: ZONE,
    zone_name: 'default',
    ...extra,
  }
}

function sessions(on: Server, count: number, cores = 2, memoryGib = 2): Kasm[] {
  return Array.from({length: count}, (_, i) => ({cores, kasm_id: `${on.hostname}-${i}`, memory: memoryGib * GIB, operational_status: 'running', server_id: on.server_id}))
}

describe('agent capacity (pure)', () => {
  it('counts the overrides when set, the detected values otherwise', () => {
    expect(effectiveResources(agent(1, 8, 16))).to.deep.equal({cores: 8, memory: 16 * GIB})
    expect(effectiveResources(agent(1, 8, 16, {cores_override: 32, memory_override: 64 * GIB}))).to.deep.equal({cores: 32, memory: 64 * GIB})
  })

  it('gives per-zone capacity from available agents against every session of the zone', () => {
    const [a1, a2, a3] = [agent(1, 8, 16), agent(2, 8, 16), agent(3, 8, 16, {enabled: false})]
    const kasms = [...sessions(a1, 2), ...sessions(a3, 1)]
    const [zone] = computeZoneCapacity([a1, a2, a3, {...agent(4, 99, 99), server_type: 'Desktop'}], kasms)
    expect(zone).to.include({agents: 3, availableAgents: 2, sessions: 3, sessionCapacity: 8, freeSessions: 5, zoneName: 'default'})
    expect(zone.total).to.deep.equal({cores: 16, memory: 32 * GIB})
    expect(zone.used).to.deep.equal({cores: 6, memory: 6 * GIB})
    expect(zone.sessionSize).to.deep.equal({cores: 2, memory: 2 * GIB})
    expect([zone.canLoseOne, zone.canLoseTwo]).to.deep.equal([true, false])
  })

  it('does not count agents that are not running as capacity', () => {
    const [zone] = computeZoneCapacity([agent(1, 8, 16), agent(2, 8, 16, {operational_status: 'missing'})], [])
    expect(zone.availableAgents).to.equal(1)
  })

  it('lists zones without agents when zones are given, with a session size from other zones', () => {
    const a1 = agent(1, 8, 16)
    const zones = computeZoneCapacity([a1], sessions(a1, 1), [{zone_id: 'b'.repeat(32), zone_name: 'empty'}])
    expect(zones.map((z) => z.zoneName)).to.deep.equal(['empty', 'default'])
    expect(zones[0]).to.include({agents: 0, sessionCapacity: 0, sessions: 0})
  })

  it('N+1 / N+2 lose the largest agents first, for cores and for memory separately', () => {
    const big = {cores: 32, memory: 8 * GIB}
    const wide = {cores: 4, memory: 64 * GIB}
    const small = {cores: 4, memory: 8 * GIB}
    expect(canLose(1, [big, wide, small], {cores: 8, memory: 8 * GIB})).to.equal(true)
    expect(canLose(1, [big, wide, small], {cores: 9, memory: 8 * GIB})).to.equal(false)
    expect(canLose(1, [big, wide, small], {cores: 8, memory: 17 * GIB})).to.equal(false)
    expect(canLose(2, [big, wide, small], {cores: 4, memory: 8 * GIB})).to.equal(true)
  })

  it('fits whole sessions, whichever resource runs out first', () => {
    expect(sessionsThatFit({cores: 9, memory: 100 * GIB}, {cores: 2, memory: 2 * GIB})).to.equal(4)
    expect(sessionsThatFit({cores: 9, memory: 3 * GIB}, {cores: 2, memory: 2 * GIB})).to.equal(1)
    expect(sessionsThatFit({cores: 9, memory: 3 * GIB}, undefined)).to.equal(null)
  })
})

describe('capacity guard', () => {
  it('parses --headroom as agents or sessions, and rejects anything else naming the forms', () => {
    expect(parseHeadroom('1agent')).to.deep.equal({agents: 1})
    expect(parseHeadroom('2agents')).to.deep.equal({agents: 2})
    expect(parseHeadroom('10')).to.deep.equal({sessions: 10})
    expect(parseHeadroom('3sessions')).to.deep.equal({sessions: 3})
    expect(() => parseHeadroom('lots')).to.throw(UsageError, /--headroom "lots".*1agent.*10sessions/)
  })

  it('refuses to take one of two agents out when the other could not also absorb one agent more', () => {
    const [a1, a2] = [agent(1, 8, 16), agent(2, 8, 16)]
    const check = checkCapacity([a1, a2], [...sessions(a1, 1), ...sessions(a2, 1)], ZONE, [a1.server_id], {agents: 1})
    expect(check.ok).to.equal(false)
    expect(check.message).to.match(/taking agent-1 out of service would leave zone "default" 1 available agent .* its 2 sessions .* headroom of 1 agent/)
    expect(check.remaining_agents).to.equal(1)
  })

  it('measures "one agent\'s worth" on the agents that stay, and accepts when they hold sessions + headroom', () => {
    const agents = [agent(1, 8, 16), agent(2, 8, 16), agent(3, 8, 16)]
    const check = checkCapacity(agents, sessions(agents[0], 3), ZONE, [agents[0].server_id], {agents: 1})
    expect(check).to.include({ok: true, sessions: 3})
    expect(check.needed).to.deep.equal({cores: 6 + 8, memory: (6 + 16) * GIB})
    expect(check.remaining).to.deep.equal({cores: 16, memory: 32 * GIB})
  })

  it('with a headroom in sessions, asks for that many sessions of the average size', () => {
    const [a1, a2] = [agent(1, 8, 16), agent(2, 8, 16)]
    const kasms = sessions(a1, 2)
    expect(checkCapacity([a1, a2], kasms, ZONE, [a1.server_id], {sessions: 2}).ok).to.equal(true)
    expect(checkCapacity([a1, a2], kasms, ZONE, [a1.server_id], {sessions: 3}).ok).to.equal(false)
  })

  it('refuses to take the last agent of a zone out with an agent headroom, even with no session', () => {
    const only = agent(6, 4, 8)
    expect(checkCapacity([only], [], ZONE, [only.server_id], {agents: 1}).ok).to.equal(false)
    expect(checkCapacity([only], [], ZONE, [only.server_id], {sessions: 0}).ok).to.equal(true)
  })
})
