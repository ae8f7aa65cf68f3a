/**
 * Per-agent capacity the way Kasm places sessions (kasm-verified.md §1 "agent capacity"). Kasm never
 * pools a zone: a session of image I lands on ONE agent whose own free cores, memory and gpus hold
 * I's requirements, and whose physical cores are at least I's cores. Pure: no I/O.
 */

import {compareNames} from '../text.js'

/** Cores (may be fractional), memory (bytes) and gpus. */
export interface Resources {
  cores: number
  memory: number
  gpus: number
}

/** A session that holds resources on an agent (or one to place): its size and what to call it in messages. */
export interface SessionLoad {
  /** kasm_id for a real session; any unique string for a hypothetical one. */
  id: string
  /** Image label for messages: friendly name, else image name, else image id. */
  image: string
  imageId?: string
  size: Resources
  /** Kasm operational status; undefined for a hypothetical session. */
  status?: string
}

/** One Docker agent as the placement rule sees it. */
export interface AgentCapacity {
  serverId: string
  hostname: string
  zoneId: null | string
  /** Takes new sessions: enabled and operational status running. Unavailable agents never receive a placement. */
  available: boolean
  /** Autoscaled agents come after static ones when the zone prioritises static agents. */
  autoscaled: boolean
  /** Detected cores: an image with more cores never goes to this agent, whatever the override. */
  physicalCores: number
  /** What Kasm counts: each override when > 0, else the detected value. */
  total: Resources
  /** Sessions in a state that holds resources (see COUNTED_STATES); their sizes make up `used`. */
  sessions: SessionLoad[]
}

/**
 * Session states whose cores/memory/gpus Kasm subtracts from the agent's total when placing
 * (Server.available_resources). Paused and stopped sessions hold nothing.
 */
export const COUNTED_STATES: readonly string[] = ['running', 'starting', 'deleting', 'pausing', 'stopping']

/**
 * Session states that `get_zones` subtracts from a zone's `available_*` totals (a different set
 * from the per-agent rule, as in Kasm).
 */
export const ZONE_TOTAL_STATES: readonly string[] = ['running', 'saving', 'starting']

/** Whether a session in this operational status holds resources on its agent. */
export function holdsResources(status: null | string | undefined): boolean {
  return COUNTED_STATES.includes(status ?? '')
}

export const NO_RESOURCES: Resources = Object.freeze({cores: 0, memory: 0, gpus: 0})

function addResources(a: Resources, b: Resources): Resources {
  return {cores: a.cores + b.cores, gpus: a.gpus + b.gpus, memory: a.memory + b.memory}
}

function subtractResources(a: Resources, b: Resources): Resources {
  return {cores: a.cores - b.cores, gpus: a.gpus - b.gpus, memory: a.memory - b.memory}
}

export function sumResources(items: Resources[]): Resources {
  return items.reduce((total, item) => addResources(total, item), NO_RESOURCES)
}

/** What the agent's counted sessions use. */
export function usedResources(agent: AgentCapacity): Resources {
  return sumResources(agent.sessions.map((s) => s.size))
}

/** total - used; negative when the agent is oversubscribed (an override lowered below what runs). */
export function freeResources(agent: AgentCapacity): Resources {
  return subtractResources(agent.total, usedResources(agent))
}

// Float cores (0.5-core images) must not lose a slot to rounding.
const EPSILON = 1e-9

/**
 * Kasm's rule for one agent: it is available, `size` fits in its free cores, memory and gpus,
 * and `size.cores` does not exceed its physical cores.
 */
export function fitsOn(agent: AgentCapacity, size: Resources): boolean {
  if (!agent.available || size.cores > agent.physicalCores + EPSILON) return false
  const free = freeResources(agent)
  return free.cores + EPSILON >= size.cores && free.memory >= size.memory && free.gpus >= size.gpus
}

/**
 * How many more sessions of `size` this agent takes, one after another. 0 when unavailable or when
 * the size exceeds its physical cores; Infinity for a size that needs nothing.
 */
export function slotsOn(agent: AgentCapacity, size: Resources): number {
  if (!fitsOn(agent, size)) return 0
  const free = freeResources(agent)
  const by = (room: number, need: number) => (need > 0 ? Math.floor(room / need + EPSILON) : Number.POSITIVE_INFINITY)
  return Math.min(by(free.cores, size.cores), by(free.memory, size.memory), by(free.gpus, size.gpus))
}

/**
 * Sessions of `size` a set of agents takes if only that size were requested: the sum of each
 * agent's slots (the load strategy changes where they land, not how many fit).
 */
export function slotsIn(agents: AgentCapacity[], size: Resources): number {
  return agents.reduce((total, agent) => total + slotsOn(agent, size), 0)
}

/** The agent with one more session (a new object; the input is not changed). */
export function withSession(agent: AgentCapacity, session: SessionLoad): AgentCapacity {
  return {...agent, sessions: [...agent.sessions, session]}
}

/** Largest first: cores, then memory, then gpus. */
export function compareSizeDescending(a: Resources, b: Resources): number {
  return b.cores - a.cores || b.memory - a.memory || b.gpus - a.gpus
}

/**
 * The `count` largest available agents (by their total cores, then memory, then gpus; ties by
 * hostname): the agents whose loss N+1 / N+2 assumes.
 */
export function largestAgents(agents: AgentCapacity[], count: number): AgentCapacity[] {
  return agents
    .filter((a) => a.available)
    .sort((a, b) => compareSizeDescending(a.total, b.total) || compareNames(a.hostname, b.hostname))
    .slice(0, Math.max(0, count))
}
