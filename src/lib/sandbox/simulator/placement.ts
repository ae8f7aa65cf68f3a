/**
 * Where request_kasm puts a session: the zone's load strategy over the agents that can take it
 * (kasm-docs/deployment-zones.txt). Pure, so each strategy is testable on its own.
 */

export interface AgentLoad {
  serverId: string
  hostname: string
  zoneId: string
  /** Autoscaled agents come after static ones when the zone prioritises static agents. */
  autoscaled: boolean
  maxCores: number
  maxMemory: number
  usedCores: number
  usedMemory: number
  sessions: number
}

export interface Need {
  cores: number
  memory: number
}

/** Canonical strategy for each documented spelling (the HELM preseed says sessions for kasms). */
const CANONICAL: Record<string, 'least_kasms' | 'least_load' | 'most_kasms' | 'most_load'> = {
  fewest_sessions: 'least_kasms',
  least_kasms: 'least_kasms',
  least_load: 'least_load',
  most_kasms: 'most_kasms',
  most_load: 'most_load',
  most_sessions: 'most_kasms',
}

export function fits(agent: AgentLoad, need: Need): boolean {
  return agent.maxCores - agent.usedCores >= need.cores && agent.maxMemory - agent.usedMemory >= need.memory
}

/** Consumed share of CPU and memory, 0..1 (the fuller resource counts). */
export function load(agent: AgentLoad): number {
  const cores = agent.maxCores > 0 ? agent.usedCores / agent.maxCores : 1
  const memory = agent.maxMemory > 0 ? agent.usedMemory / agent.maxMemory : 1
  return Math.max(cores, memory)
}

/** The agent the strategy picks among those that fit, or undefined. Ties go to the hostname first in order. */
export function chooseAgent(agents: AgentLoad[], need: Need, strategy: string, prioritizeStatic: boolean): AgentLoad | undefined {
  const rule = CANONICAL[strategy] ?? 'least_load'
  const score = (a: AgentLoad): number => {
    switch (rule) {
      case 'least_kasms': {
        return a.sessions
      }

      case 'most_kasms': {
        return -a.sessions
      }

      case 'most_load': {
        return -load(a)
      }

      default: {
        return load(a)
      }
    }
  }

  const ranked = agents
    .filter((a) => fits(a, need))
    .sort(
      (a, b) =>
        (prioritizeStatic ? Number(a.autoscaled) - Number(b.autoscaled) : 0) ||
        score(a) - score(b) ||
        a.hostname.localeCompare(b.hostname),
    )
  return ranked[0]
}
