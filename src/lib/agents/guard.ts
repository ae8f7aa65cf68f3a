import {
  agentCapacities,
  checkRemoval,
  groupByImage,
  type Headroom,
  type ImageShortfall,
  largestSession,
  type Resources,
  zonePolicy,
} from '../capacity/index.js'
import {OperationError, UsageError} from '../errors.js'
import {sameId} from '../kasm/ids.js'
import type {Kasm, Server, Zone} from '../kasm/types.js'

export type {Headroom} from '../capacity/index.js'

/** "1agent", "2agents", "10sessions", "10" (sessions), "0". */
export function parseHeadroom(text: string): Headroom {
  const match = /^\s*(\d+)\s*(agents?|sessions?)?\s*$/i.exec(text)
  if (!match) {
    throw new UsageError(`--headroom "${text}" is not valid: use a number of agents (1agent, 2agents) or of sessions (10sessions, or just 10)`)
  }

  const count = Number(match[1])
  return match[2]?.toLowerCase().startsWith('agent') ? {agents: count} : {sessions: count}
}

function describeHeadroom(headroom: Headroom): string {
  if ('agents' in headroom) return plural(headroom.agents, 'agent')
  return plural(headroom.sessions, 'session')
}

/** The guard's answer for one zone (`capacity` in the JSON of disable / drain / rotate, docs/json.md). */
export interface CapacityCheck {
  ok: boolean
  zone_id: string
  zone_name: string
  /** The zone's load strategy the sessions were placed with. */
  load_strategy: string
  /** Hostnames of the agents that would stop taking sessions. */
  removing: string[]
  /** Available agents left in the zone afterwards. */
  remaining_agents: number
  /** Sessions on the agents taken out whose users come back for a new one (running, starting). */
  displaced: number
  /** Those that would find no agent with room, by image. */
  unplaced: ImageShortfall[]
  headroom: {
    description: string
    ok: boolean
    /** The session size a headroom of sessions counts in: the largest in use in the zone (else anywhere); null when none runs. */
    image: null | string
    size: null | Resources
    /** Headroom of sessions: sessions of that size that still fit afterwards. */
    room_for: null | number
    /** Headroom of agents: the largest remaining agents assumed lost too, and their sessions that would then find no place. */
    also_losing: null | string[]
    unplaced: ImageShortfall[]
  }
  message: string
}

/**
 * Can the sessions on `removingIds` be placed, one by one (largest first, the zone's load strategy),
 * on the zone's agents that stay, with the headroom still free afterwards (capacity/checkRemoval)?
 * Paused and stopped sessions hold nothing, so they need no place.
 */
export function checkCapacity(fleet: {kasms: Kasm[]; servers: Server[]; zones?: Zone[]}, zoneId: string, removingIds: string[], headroom: Headroom): CapacityCheck {
  const zone = fleet.zones?.find((z) => sameId(z.zone_id, zoneId))
  const agents = agentCapacities(fleet.servers, fleet.kasms, zoneId)
  const policy = zonePolicy(zone)
  // A zone without sessions still keeps room for the kind of session the deployment runs.
  const reference = largestSession(agents) ?? largestSession(agentCapacities(fleet.servers, fleet.kasms))
  const removing = agents.filter((a) => removingIds.some((id) => sameId(id, a.serverId)))
  const outcome = checkRemoval(agents, removing.map((a) => a.serverId), policy, headroom, reference)
  const check: Omit<CapacityCheck, 'message'> = {
    displaced: outcome.removal.displaced.length,
    headroom: {
      also_losing: outcome.headroom.loss?.lost ?? null,
      description: describeHeadroom(headroom),
      image: reference?.image ?? null,
      ok: outcome.headroom.ok,
      room_for: outcome.headroom.more ?? null,
      size: reference?.size ?? null,
      unplaced: groupByImage(outcome.headroom.loss?.unplaced ?? []),
    },
    load_strategy: policy.loadStrategy ?? 'least_load',
    ok: outcome.ok,
    remaining_agents: outcome.remainingAgents,
    removing: removing.map((a) => a.hostname),
    unplaced: groupByImage(outcome.removal.unplaced),
    zone_id: zoneId,
    zone_name: zone?.zone_name ?? fleet.servers.find((s) => sameId(s.zone_id, zoneId))?.zone_name ?? zoneId,
  }
  return {...check, message: capacityMessage(check, headroom)}
}

function capacityMessage(check: Omit<CapacityCheck, 'message'>, headroom: Headroom): string {
  const zone = `zone "${check.zone_name}"`
  const taking = `taking ${check.removing.join(', ')} out of service`
  const stay = check.remaining_agents === 1 ? 'the 1 available agent that stays' : `the ${check.remaining_agents} available agents that stay`
  const spare = check.headroom
  const of = `(headroom ${spare.description})`
  if (check.unplaced.length > 0) {
    const missing = check.unplaced.reduce((n, s) => n + s.sessions, 0)
    return `${taking} would leave ${missing} of its ${plural(check.displaced, 'session')} without a place in ${zone}: ${describeShortfalls(check.unplaced)} (Kasm puts each session on one agent with room for all of it; ${plural(check.remaining_agents, 'available agent')} would stay)`
  }

  const placed =
    check.displaced === 0
      ? 'no session needs a new place'
      : `${check.displaced === 1 ? 'its 1 session finds' : `its ${check.displaced} sessions find`} a place on ${stay}`
  if ('sessions' in headroom) {
    if (spare.image === null) return `${zone}: ${placed}; no session runs to size the headroom of ${spare.description} by`
    const room = `room for ${spare.room_for} more ${spare.image} (${describeSize(spare.size!)})`
    return spare.ok ? `${zone}: ${placed}, with ${room} ${of}` : `${taking}: ${placed} in ${zone}, but leaves ${room}, fewer than the headroom of ${spare.description}`
  }

  if (check.remaining_agents < headroom.agents) return `${taking} would leave ${zone} ${plural(check.remaining_agents, 'available agent')}, fewer than the headroom of ${spare.description}`
  const losing = spare.also_losing?.length ? `losing ${spare.also_losing.join(', ')} as well` : 'losing no more agents'
  if (spare.ok) return `${zone}: ${placed}, and every session would still find one after ${losing} ${of}`
  const missing = spare.unplaced.reduce((n, s) => n + s.sessions, 0)
  return `${taking}: ${placed} in ${zone}, but ${losing} would leave ${plural(missing, 'session')} without a place: ${describeShortfalls(spare.unplaced)} ${of}`
}

/** Throws (exit 1) with the numbers when the check failed. */
export function assertCapacity(check: CapacityCheck): void {
  if (check.ok) return
  throw new OperationError(check.message, {
    code: 'CAPACITY',
    details: {capacity: check},
    hint: `nothing was changed. Enable or add agents in zone "${check.zone_name}" first, lower --headroom, or re-run with --ignore-capacity to go ahead anyway (new sessions may then fail to start)`,
  })
}

export function formatMemory(bytes: number): string {
  const gib = bytes / 1024 ** 3
  return `${gib >= 10 ? Math.round(gib) : Math.round(gib * 10) / 10} GiB`
}

function formatCores(cores: number): string {
  return `${Math.round(cores * 10) / 10} core${cores === 1 ? '' : 's'}`
}

/** "4 cores, 3.7 GiB" (+ ", 1 gpu"). */
export function describeSize(size: Resources): string {
  return `${formatCores(size.cores)}, ${formatMemory(size.memory)}${size.gpus > 0 ? `, ${plural(size.gpus, 'gpu')}` : ''}`
}

function describeShortfalls(groups: ImageShortfall[]): string {
  return groups.map((g) => `${g.sessions} × ${g.image} (${describeSize(g.size)})`).join(', ')
}

function plural(count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}

/**
 * The capacity guard of disable / drain: for each zone touched, can the sessions of the agents taken
 * out be placed on the agents that stay, with the headroom left? Throws with the images and the
 * shortfall unless `ignore`; agents already out of service change nothing and are not checked.
 */
export function guardRemoval(
  fleet: {kasms: Kasm[]; servers: Server[]; zones?: Zone[]},
  servers: Server[],
  options: {headroom: string; ignore: boolean},
): CapacityCheck[] {
  const headroom = parseHeadroom(options.headroom)
  const taking = servers.filter((s) => s.enabled)
  const zoneIds = [...new Set(taking.map((s) => s.zone_id ?? ''))]
  const checks = zoneIds.map((zoneId) =>
    checkCapacity(fleet, zoneId, taking.filter((s) => (s.zone_id ?? '') === zoneId).map((s) => s.server_id), headroom),
  )
  if (!options.ignore) for (const check of checks) assertCapacity(check)
  return checks
}
