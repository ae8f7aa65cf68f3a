import {sameId} from '../kasm/ids.js'
import type {Kasm, Server, Zone} from '../kasm/types.js'
import {isAgent} from './resolve.js'

/** Cores and memory (bytes). */
export interface Resources {
  cores: number
  memory: number
}

/**
 * Session capacity of one deployment zone. Capacity counts only agents that take new sessions
 * (enabled and operational status "running"); usage counts every session on the zone's agents,
 * including those on disabled agents, because those users come back to the enabled ones.
 */
export interface ZoneCapacity {
  zoneId: string
  zoneName: string
  /** Docker agents in the zone. */
  agents: number
  /** Agents that take new sessions: enabled and running. */
  availableAgents: number
  /** Sessions on the zone's agents. */
  sessions: number
  /** Cores / memory of the available agents (overrides when set), what sessions use, and the difference. */
  total: Resources
  used: Resources
  free: Resources
  /** Average session size: of this zone's sessions, else of all sessions; null when nothing runs anywhere. */
  sessionSize: null | Resources
  /** Sessions of sessionSize the available agents hold in total; null when sessionSize is unknown. */
  sessionCapacity: null | number
  /** sessionCapacity - sessions (may be negative: oversubscribed). */
  freeSessions: null | number
  /** N+1: losing any one available agent still leaves room for the current sessions. */
  canLoseOne: boolean
  /** N+2: losing any two available agents still leaves room for the current sessions. */
  canLoseTwo: boolean
}

/** Cores and memory Kasm counts for an agent: the overrides when set (0 = none), else the detected values. */
export function effectiveResources(server: Server): Resources {
  return {
    cores: server.cores_override && server.cores_override > 0 ? server.cores_override : (server.cores ?? 0),
    memory: server.memory_override && server.memory_override > 0 ? server.memory_override : (server.memory ?? 0),
  }
}

/** Takes new sessions: enabled and checked in as running. */
export function isAvailable(server: Server): boolean {
  return server.enabled && (server.operational_status ?? 'running') === 'running'
}

export function sessionsOn(serverId: string, kasms: Kasm[]): Kasm[] {
  return kasms.filter((k) => sameId(k.server_id, serverId))
}

export function usage(kasms: Kasm[]): Resources {
  return {cores: sum(kasms.map((k) => k.cores ?? 0)), memory: sum(kasms.map((k) => k.memory ?? 0))}
}

/** Average size of these sessions, or undefined when there are none. */
export function averageSession(kasms: Kasm[]): Resources | undefined {
  if (kasms.length === 0) return undefined
  const total = usage(kasms)
  return {cores: total.cores / kasms.length, memory: total.memory / kasms.length}
}

/** How many sessions of `size` fit in `room` (whichever of cores and memory runs out first). */
export function sessionsThatFit(room: Resources, size: Resources | undefined): null | number {
  if (!size) return null
  const byCores = size.cores > 0 ? room.cores / size.cores : Number.POSITIVE_INFINITY
  const byMemory = size.memory > 0 ? room.memory / size.memory : Number.POSITIVE_INFINITY
  const fit = Math.min(byCores, byMemory)
  return Number.isFinite(fit) ? Math.floor(fit + 1e-9) : null
}

/**
 * Per-zone capacity from servers and sessions (pure: no I/O). Zones come from the agents' zone
 * fields; pass `zones` to include zones without agents and to order the result like Kasm does.
 */
export function computeZoneCapacity(servers: Server[], kasms: Kasm[], zones?: Zone[]): ZoneCapacity[] {
  const agents = servers.filter((s) => isAgent(s))
  const zoneList = new Map<string, string>()
  for (const zone of zones ?? []) zoneList.set(zone.zone_id, zone.zone_name)
  for (const agent of agents) {
    if (agent.zone_id && !zoneList.has(agent.zone_id)) zoneList.set(agent.zone_id, agent.zone_name ?? agent.zone_id)
  }

  const fallbackSize = averageSession(kasms)
  return [...zoneList].map(([zoneId, zoneName]) => {
    const members = agents.filter((a) => sameId(a.zone_id, zoneId))
    const zoneKasms = kasms.filter((k) => members.some((a) => sameId(a.server_id, k.server_id)))
    const available = members.filter((a) => isAvailable(a)).map((a) => effectiveResources(a))
    const total = {cores: sum(available.map((r) => r.cores)), memory: sum(available.map((r) => r.memory))}
    const used = usage(zoneKasms)
    const sessionSize = averageSession(zoneKasms) ?? fallbackSize ?? null
    const sessionCapacity = sessionsThatFit(total, sessionSize ?? undefined)
    return {
      agents: members.length,
      availableAgents: available.length,
      canLoseOne: canLose(1, available, used),
      canLoseTwo: canLose(2, available, used),
      free: {cores: total.cores - used.cores, memory: total.memory - used.memory},
      freeSessions: sessionCapacity === null ? null : sessionCapacity - zoneKasms.length,
      sessionCapacity,
      sessionSize,
      sessions: zoneKasms.length,
      total,
      used,
      zoneId,
      zoneName,
    }
  })
}

/**
 * Whether the zone still holds `used` after losing any `count` of these agents. The worst case for
 * cores is losing the agents with the most cores, for memory those with the most memory.
 */
export function canLose(count: number, agents: Resources[], used: Resources): boolean {
  const remaining = (key: keyof Resources) =>
    sum(agents.map((a) => a[key])) - sum([...agents.map((a) => a[key])].sort((a, b) => b - a).slice(0, count))
  return remaining('cores') >= used.cores && remaining('memory') >= used.memory
}

function sum(values: number[]): number {
  return values.reduce((total, value) => total + value, 0)
}

/** `agent capacity --json` items (docs/json.md): ZoneCapacity with the snake_case keys of kasmctl's JSON. */
export interface ZoneCapacityView {
  zone_id: string
  zone_name: string
  agents: number
  available_agents: number
  sessions: number
  total: Resources
  used: Resources
  free: Resources
  session_size: null | Resources
  session_capacity: null | number
  free_sessions: null | number
  can_lose_one: boolean
  can_lose_two: boolean
}

export function capacityView(z: ZoneCapacity): ZoneCapacityView {
  return {
    zone_id: z.zoneId,
    zone_name: z.zoneName,
    agents: z.agents,
    available_agents: z.availableAgents,
    sessions: z.sessions,
    total: z.total,
    used: z.used,
    free: z.free,
    session_size: z.sessionSize,
    session_capacity: z.sessionCapacity,
    free_sessions: z.freeSessions,
    can_lose_one: z.canLoseOne,
    can_lose_two: z.canLoseTwo,
  }
}
