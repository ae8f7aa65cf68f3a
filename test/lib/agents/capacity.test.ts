import {expect} from 'chai'

import {capacityView, computeZoneCapacity, imagesInUse, resolveImage} from '../../../src/lib/agents/capacity.js'
import {checkCapacity, guardRemoval, parseHeadroom} from '../../../src/lib/agents/guard.js'
import {NotFoundError, OperationError, UsageError} from '../../../src/lib/errors.js'
import {normalizeImage} from '../../../src/lib/kasm/normalize.js'
import {dockerAgent, GIB, ZONE} from '../capacity/fixtures.js'
import type {Kasm, Server, Zone} from '../../../src/lib/kasm/types.js'

const zone: Zone = {load_strategy: 'least_load', prioritize_static_agents: true, zone_id: ZONE, zone_name: 'default'}


const chrome = normalizeImage({cores: 2, friendly_name: 'Chrome', image_id: 'c'.repeat(32), memory: 2 * GIB, name: 'kasmweb/chrome:1.16.0'})
const ubuntu = normalizeImage({cores: 4, friendly_name: 'Ubuntu', image_id: 'd'.repeat(32), memory: 4 * GIB, name: 'kasmweb/ubuntu:1.16.0'})

let counter = 0
function sessions(on: Server, count: number, image = chrome, status = 'running'): Kasm[] {
  return Array.from({length: count}, () => ({
    cores: image.cores,
    image: {friendly_name: image.friendly_name ?? undefined},
    image_id: image.image_id,
    kasm_id: `k${++counter}`,
    memory: image.memory,
    operational_status: status,
    server_id: on.server_id,
  }))
}

describe('zone capacity (agent capacity, agent list, health)', () => {
  it('counts per image how many more fit now, after losing the largest agent and the two largest', () => {
    const [a1, a2, a3] = [dockerAgent(1, 8, 16), dockerAgent(2, 6, 16), dockerAgent(3, 4, 16, {enabled: false})]
    const kasms = [...sessions(a1, 2), ...sessions(a2, 1, ubuntu), ...sessions(a3, 1)]
    const [capacity] = computeZoneCapacity([a1, a2, a3, {...dockerAgent(4, 99, 99), server_type: 'Desktop'}], kasms, [zone])
    const view = capacityView(capacity, [chrome, ubuntu])
    expect(view).to.deep.include({agents: 3, available_agents: 2, can_lose_one: false, sessions: 4, zone_name: 'default'})
    // Free: agent-1 4 cores, agent-2 2 cores (disabled agent-3 takes nothing, its Chrome is in use all the same).
    expect(view.free).to.deep.equal({cores: 6, gpus: 0, memory: (16 - 4 + 16 - 4) * GIB})
    const [chromeRoom, ubuntuRoom] = view.images
    expect(chromeRoom).to.deep.include({image: 'Chrome', now: 3, sessions: 3})
    expect(ubuntuRoom).to.deep.include({image: 'Ubuntu', now: 1, sessions: 1})
    // Losing agent-1 (8 cores): its two Chromes go to agent-2 (2 free cores): one finds no place.
    expect(chromeRoom.n_plus_1).to.deep.equal({lost: ['agent-1'], more: 0, unplaced: [{image: 'Chrome', sessions: 1, size: {cores: 2, gpus: 0, memory: 2 * GIB}}]})
    expect(ubuntuRoom.n_plus_2.lost).to.deep.equal(['agent-1', 'agent-2'])
  })

  it('keeps an image restricted to another zone out of that zone', () => {
    const pinned = normalizeImage({...ubuntu, restrict_to_zone: true, zone_id: 'b'.repeat(32)})
    const [capacity] = computeZoneCapacity([dockerAgent(1, 8, 16)], [], [zone])
    expect(capacityView(capacity, [pinned, chrome]).images.map((i) => i.image)).to.deep.equal(['Chrome'])
  })

  it('lists zones without agents when zones are given', () => {
    const zones = computeZoneCapacity([dockerAgent(1, 8, 16)], [], [{zone_id: 'b'.repeat(32), zone_name: 'empty'}, zone])
    expect(zones.map((z) => [z.zoneName, z.agents.length])).to.deep.equal([['empty', 0], ['default', 1]])
    expect(capacityView(zones[0], [chrome])).to.deep.include({can_lose_one: false, sessions: 0})
  })

  it('images in use are those with a session in any state; --image resolves a Docker name, friendly name or id', () => {
    const a1 = dockerAgent(1, 8, 16)
    expect(imagesInUse([chrome, ubuntu], sessions(a1, 1, ubuntu, 'paused'))).to.deep.equal([ubuntu])
    expect(resolveImage([chrome, ubuntu], 'kasmweb/chrome:1.16.0')).to.equal(chrome)
    expect(resolveImage([chrome, ubuntu], 'ubuntu')).to.equal(ubuntu)
    expect(resolveImage([chrome, ubuntu], 'dddd')).to.equal(ubuntu)
    expect(() => resolveImage([chrome, ubuntu], 'Netscape')).to.throw(NotFoundError, 'no image "Netscape": known images: Chrome, Ubuntu')
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

  it('places the sessions of the agents taken out on one agent each: pooled room is not room', () => {
    // agent-2 and agent-3 have 3 free cores each (6 in all): agent-1's 4-core session fits on neither.
    const agents = [dockerAgent(1, 4, 16), dockerAgent(2, 4, 16), dockerAgent(3, 4, 16)]
    const one = normalizeImage({...chrome, cores: 1, friendly_name: 'Tiny'})
    const kasms = [...sessions(agents[0], 1, ubuntu), ...sessions(agents[1], 1, one), ...sessions(agents[2], 1, one)]
    const check = checkCapacity({kasms, servers: agents, zones: [zone]}, ZONE, [agents[0].server_id], {sessions: 0})
    expect(check).to.deep.include({displaced: 1, load_strategy: 'least_load', ok: false, remaining_agents: 2, removing: ['agent-1']})
    expect(check.unplaced).to.deep.equal([{image: 'Ubuntu', sessions: 1, size: {cores: 4, gpus: 0, memory: 4 * GIB}}])
    expect(check.message).to.equal(
      'taking agent-1 out of service would leave 1 of its 1 session without a place in zone "default": 1 × Ubuntu (4 cores, 4 GiB) (Kasm puts each session on one agent with room for all of it; 2 available agents would stay)',
    )
  })

  it('paused and stopped sessions on the agent taken out need no place and hold nothing elsewhere', () => {
    const [a1, a2] = [dockerAgent(1, 4, 16), dockerAgent(2, 4, 16)]
    const kasms = [...sessions(a1, 2, chrome, 'paused'), ...sessions(a1, 1, chrome, 'stopped'), ...sessions(a2, 4, ubuntu, 'paused')]
    const check = checkCapacity({kasms, servers: [a1, a2]}, ZONE, [a1.server_id], {sessions: 1})
    expect(check).to.deep.include({displaced: 0, ok: true})
    expect(check.headroom).to.deep.include({image: null, room_for: null})
  })

  it('a headroom of agents: the zone can still lose its largest remaining agent and place its sessions', () => {
    const agents = [dockerAgent(1, 8, 16), dockerAgent(2, 8, 16), dockerAgent(3, 8, 16)]
    const ok = checkCapacity({kasms: sessions(agents[0], 3), servers: agents}, ZONE, [agents[0].server_id], {agents: 1})
    expect(ok).to.deep.include({displaced: 3, ok: true})
    expect(ok.headroom).to.deep.include({also_losing: ['agent-2'], ok: true, unplaced: []})
    const tight = checkCapacity({kasms: [...sessions(agents[0], 3), ...sessions(agents[1], 2)], servers: agents}, ZONE, [agents[0].server_id], {agents: 1})
    expect(tight.ok).to.equal(false)
    expect(tight.message).to.match(/^taking agent-1 out of service: its 3 sessions find a place on the 2 available agents that stay in zone "default", but losing agent-2 as well would leave 1 session without a place: 1 × Chrome \(2 cores, 2 GiB\) \(headroom 1 agent\)$/)
  })

  it('refuses to take the last agent of a zone out with an agent headroom, even with no session', () => {
    const only = dockerAgent(6, 4, 8)
    expect(checkCapacity({kasms: [], servers: [only]}, ZONE, [only.server_id], {agents: 1}).ok).to.equal(false)
    expect(checkCapacity({kasms: [], servers: [only]}, ZONE, [only.server_id], {sessions: 0}).ok).to.equal(true)
  })

  it('guardRemoval throws CAPACITY with the check unless ignored, and skips agents already disabled', () => {
    const [a1, a2] = [dockerAgent(1, 4, 16), dockerAgent(2, 4, 16, {enabled: false})]
    const fleet = {kasms: sessions(a1, 1), servers: [a1, a2]}
    expect(() => guardRemoval(fleet, [a1], {headroom: '0', ignore: false})).to.throw(OperationError, /without a place/)
    expect(guardRemoval(fleet, [a1], {headroom: '0', ignore: true})[0].ok).to.equal(false)
    expect(guardRemoval(fleet, [a2], {headroom: '1agent', ignore: false})).to.deep.equal([])
  })
})
