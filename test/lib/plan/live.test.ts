import {expect} from 'chai'

import {agentCapacities, type SessionLoad} from '../../../src/lib/capacity/index.js'
import {agentsToAdd} from '../../../src/lib/plan/live.js'
import {dockerAgent, GIB} from '../capacity/fixtures.js'

/** Sessions of 2 cores / 4 GiB to place. */
const sessions = (count: number): SessionLoad[] =>
  Array.from({length: count}, (_, i) => ({id: `s${i}`, image: 'Desktop', size: {cores: 2, gpus: 0, memory: 4 * GIB}}))
const policy = {loadStrategy: 'least_load', prioritizeStatic: true}

describe('plan --live: agents to add, placed one by one', () => {
  // 16c/64 GiB: 8 sessions each (CPU-bound, the sizing guide's first example); 4c/64 GiB: 2 each.
  const agents = agentCapacities([dockerAgent(1, 16, 64), dockerAgent(2, 4, 64)], [])

  it('adds nothing while the sessions fit', () => {
    expect(agentsToAdd(agents, sessions(10), policy, 0)).to.equal(0)
  })

  it('adds copies of the largest agent until every session finds a place', () => {
    expect(agentsToAdd(agents, sessions(11), policy, 0)).to.equal(1) // 10 + 8
    expect(agentsToAdd(agents, sessions(26), policy, 0)).to.equal(2) // 10 + 16
    expect(agentsToAdd(agents, sessions(27), policy, 0)).to.equal(3)
  })

  it('for N+2 keeps room for the sessions of the two largest agents on the others', () => {
    // 10 sessions: with 2 more 8-session agents (26 slots), losing two of them leaves 10: enough.
    expect(agentsToAdd(agents, sessions(10), policy, 2)).to.equal(2)
    // 11 sessions need a third: 34 slots, 18 after the loss.
    expect(agentsToAdd(agents, sessions(11), policy, 2)).to.equal(3)
  })

  it('cannot model new agents in a zone without an available one', () => {
    const disabled = agentCapacities([dockerAgent(1, 16, 64, {enabled: false})], [])
    expect(agentsToAdd(disabled, sessions(1), policy, 0)).to.equal(null)
  })
})
