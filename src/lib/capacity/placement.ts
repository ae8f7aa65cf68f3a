import {compareNames} from '../text.js'
import {type AgentCapacity, compareSizeDescending, fitsOn, type SessionLoad, usedResources, withSession} from './model.js'

/**
 * Which agent a zone's load strategy picks (kasm-docs/deployment-zones.txt), and placing a list of
 * sessions one by one the way Kasm would. Pure: no I/O. The sandbox's request_kasm uses the same
 * chooseAgent, so kasmctl's answers and the simulator's placements cannot drift apart.
 */

/** The canonical load strategies. */
export type LoadStrategyRule = 'least_kasms' | 'least_load' | 'most_kasms' | 'most_load'

/** How a zone ranks the agents that can take a session (its `load_strategy` and `prioritize_static_agents`). */
export interface ZonePolicy {
  /** Any documented spelling; unknown values rank like least_load, as Kasm's default. */
  loadStrategy?: null | string
  prioritizeStatic?: boolean | null
}

/** Canonical strategy for each documented spelling (the HELM preseed says sessions for kasms). */
const CANONICAL: Record<string, LoadStrategyRule> = {
  fewest_sessions: 'least_kasms',
  least_kasms: 'least_kasms',
  least_load: 'least_load',
  most_kasms: 'most_kasms',
  most_load: 'most_load',
  most_sessions: 'most_kasms',
}

function canonicalStrategy(strategy: null | string | undefined): LoadStrategyRule {
  return CANONICAL[strategy ?? ''] ?? 'least_load'
}

/** Consumed share of the agent's CPU and memory, 0..1 (the fuller resource counts). */
export function agentLoad(agent: AgentCapacity): number {
  const used = usedResources(agent)
  const cores = agent.total.cores > 0 ? used.cores / agent.total.cores : 1
  const memory = agent.total.memory > 0 ? used.memory / agent.total.memory : 1
  return Math.max(cores, memory)
}

/**
 * The agent the zone's strategy picks among those the session fits on (fitsOn), or undefined when
 * none fits. Static agents first when the zone prioritises them; ties go to the hostname first in order.
 */
export function chooseAgent(agents: AgentCapacity[], session: Pick<SessionLoad, 'size'>, policy: ZonePolicy): AgentCapacity | undefined {
  const rule = canonicalStrategy(policy.loadStrategy)
  const score = (a: AgentCapacity): number => {
    switch (rule) {
      case 'least_kasms': {
        return a.sessions.length
      }

      case 'most_kasms': {
        return -a.sessions.length
      }

      case 'most_load': {
        return -agentLoad(a)
      }

      default: {
        return agentLoad(a)
      }
    }
  }

  return agents
    .filter((a) => fitsOn(a, session.size))
    .sort(
      (a, b) =>
        (policy.prioritizeStatic ? Number(a.autoscaled) - Number(b.autoscaled) : 0) || score(a) - score(b) || compareNames(a.hostname, b.hostname),
    )[0]
}

/** Where each session went, what did not fit, and the agents with the placed sessions added. */
export interface PlacementResult {
  agents: AgentCapacity[]
  placed: Array<{session: SessionLoad; serverId: string; hostname: string}>
  /** Sessions no agent had room for, largest first. */
  unplaced: SessionLoad[]
}

/**
 * Places `sessions` one by one, largest first (cores, then memory, then gpus), each on the agent the
 * zone's policy picks among those it fits on, as a stream of request_kasm calls would. The input
 * agents are not changed.
 */
export function placeSessions(agents: AgentCapacity[], sessions: SessionLoad[], policy: ZonePolicy): PlacementResult {
  let current = [...agents]
  const placed: PlacementResult['placed'] = []
  const unplaced: SessionLoad[] = []
  for (const session of [...sessions].sort((a, b) => compareSizeDescending(a.size, b.size))) {
    const agent = chooseAgent(current, session, policy)
    if (!agent) {
      unplaced.push(session)
      continue
    }

    const updated = withSession(agent, session)
    current = current.map((a) => (a === agent ? updated : a))
    placed.push({hostname: agent.hostname, serverId: agent.serverId, session})
  }

  return {agents: current, placed, unplaced}
}
