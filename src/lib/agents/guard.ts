import {OperationError, UsageError} from '../errors.js'
import {sameId} from '../kasm/ids.js'
import type {Kasm, Server} from '../kasm/types.js'
import {averageSession, effectiveResources, isAvailable, type Resources, sessionsThatFit, usage} from './capacity.js'
import {isAgent} from './resolve.js'

/** Spare capacity to keep: a number of agents (the largest of those that stay) or of average sessions. */
export type Headroom = {agents: number} | {sessions: number}

export const DEFAULT_HEADROOM = '1agent'

/** "1agent", "2agents", "10sessions", "10" (sessions), "0". */
export function parseHeadroom(text: string): Headroom {
  const match = /^\s*(\d+)\s*(agents?|sessions?)?\s*$/i.exec(text)
  if (!match) {
    throw new UsageError(`--headroom "${text}" is not valid: use a number of agents (1agent, 2agents) or of sessions (10sessions, or just 10)`)
  }

  const count = Number(match[1])
  return match[2]?.toLowerCase().startsWith('agent') ? {agents: count} : {sessions: count}
}

export function describeHeadroom(headroom: Headroom): string {
  if ('agents' in headroom) return `${headroom.agents} agent${headroom.agents === 1 ? '' : 's'}`
  return `${headroom.sessions} session${headroom.sessions === 1 ? '' : 's'}`
}

export interface CapacityCheck {
  ok: boolean
  zone_id: string
  zone_name: string
  /** Hostnames of the agents that would stop taking sessions. */
  removing: string[]
  /** Available agents left in the zone afterwards. */
  remaining_agents: number
  sessions: number
  remaining: Resources
  used: Resources
  headroom: Resources & {description: string}
  /** used + headroom. */
  needed: Resources
  /** Sessions of average size the remaining agents hold; null when no session runs anywhere. */
  remaining_session_capacity: null | number
  message: string
}

/**
 * Could the zone's other available agents hold all of its sessions plus the headroom once
 * `removingIds` stop taking sessions? Sessions on the removed agents count: their users come back.
 */
export function checkCapacity(servers: Server[], kasms: Kasm[], zoneId: string, removingIds: string[], headroom: Headroom): CapacityCheck {
  const members = servers.filter((s) => isAgent(s) && sameId(s.zone_id, zoneId))
  const removing = members.filter((s) => removingIds.some((id) => sameId(id, s.server_id)))
  const available = members.filter((s) => isAvailable(s))
  const remainingAgents = available.filter((s) => !removing.includes(s))
  const zoneKasms = kasms.filter((k) => members.some((s) => sameId(s.server_id, k.server_id)))
  const size = averageSession(zoneKasms) ?? averageSession(kasms)
  const used = usage(zoneKasms)
  const remaining = total(remainingAgents.map((s) => effectiveResources(s)))
  // "One agent's worth" is measured on the agents that stay: afterwards the zone can still lose one.
  const spare = headroomResources(headroom, remainingAgents.map((s) => effectiveResources(s)), size)
  const needed = {cores: used.cores + spare.cores, memory: used.memory + spare.memory}
  const enoughAgents = !('agents' in headroom) || remainingAgents.length >= headroom.agents
  const ok = enoughAgents && remaining.cores >= needed.cores && remaining.memory >= needed.memory
  const zoneName = members[0]?.zone_name ?? zoneId
  const names = removing.map((s) => s.hostname)
  const remainingSessionCapacity = sessionsThatFit(remaining, size)
  const left = `${remainingAgents.length} available agent${remainingAgents.length === 1 ? '' : 's'} (${describeResources(remaining, size)})`
  const want = `its ${zoneKasms.length} session${zoneKasms.length === 1 ? '' : 's'} (${describeResources(used)}) plus a headroom of ${describeHeadroom(headroom)} (${describeResources(spare)})`
  const message = ok
    ? `zone "${zoneName}" keeps ${left} for ${want}`
    : `taking ${names.join(', ')} out of service would leave zone "${zoneName}" ${left} for ${want}: ${
        enoughAgents ? `short by ${describeShortfall(remaining, needed)}` : `fewer agents than the headroom`
      }`
  return {
    headroom: {...spare, description: describeHeadroom(headroom)},
    message,
    needed,
    ok,
    remaining,
    remaining_agents: remainingAgents.length,
    remaining_session_capacity: remainingSessionCapacity,
    removing: names,
    sessions: zoneKasms.length,
    used,
    zone_id: zoneId,
    zone_name: zoneName,
  }
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

function headroomResources(headroom: Headroom, agents: Resources[], size: Resources | undefined): Resources {
  if ('sessions' in headroom) return {cores: (size?.cores ?? 0) * headroom.sessions, memory: (size?.memory ?? 0) * headroom.sessions}
  const largest = (key: keyof Resources) =>
    agents
      .map((a) => a[key])
      .sort((a, b) => b - a)
      .slice(0, headroom.agents)
      .reduce((t, v) => t + v, 0)
  return {cores: largest('cores'), memory: largest('memory')}
}

function total(resources: Resources[]): Resources {
  return resources.reduce((t, r) => ({cores: t.cores + r.cores, memory: t.memory + r.memory}), {cores: 0, memory: 0})
}

export function formatMemory(bytes: number): string {
  const gib = bytes / 1024 ** 3
  return `${gib >= 10 ? Math.round(gib) : Math.round(gib * 10) / 10} GiB`
}

export function formatCores(cores: number): string {
  return `${Math.round(cores * 10) / 10} core${cores === 1 ? '' : 's'}`
}

function describeResources(resources: Resources, size?: Resources): string {
  const fit = sessionsThatFit(resources, size)
  return `${formatCores(resources.cores)}, ${formatMemory(resources.memory)}${fit === null ? '' : ` ≈ ${fit} sessions`}`
}

function describeShortfall(remaining: Resources, needed: Resources): string {
  const parts: string[] = []
  if (remaining.cores < needed.cores) parts.push(formatCores(needed.cores - remaining.cores))
  if (remaining.memory < needed.memory) parts.push(formatMemory(needed.memory - remaining.memory))
  return parts.join(' and ')
}

/**
 * The capacity guard of disable / drain: for each zone touched, could its other available agents hold
 * its sessions plus the headroom once `servers` stop taking sessions? Throws with the numbers unless
 * `ignore`; agents already out of service change nothing and are not checked.
 */
export function guardRemoval(fleet: {kasms: Kasm[]; servers: Server[]}, servers: Server[], options: {headroom: string; ignore: boolean}): CapacityCheck[] {
  const headroom = parseHeadroom(options.headroom)
  const taking = servers.filter((s) => s.enabled)
  const zoneIds = [...new Set(taking.map((s) => s.zone_id ?? ''))]
  const checks = zoneIds.map((zoneId) =>
    checkCapacity(fleet.servers, fleet.kasms, zoneId, taking.filter((s) => (s.zone_id ?? '') === zoneId).map((s) => s.server_id), headroom),
  )
  if (!options.ignore) for (const check of checks) assertCapacity(check)
  return checks
}
