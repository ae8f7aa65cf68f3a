import type {KasmClient} from '../kasm/client.js'
import {sameId} from '../kasm/ids.js'
import {parseKasmDate} from '../kasm/normalize.js'
import type {Kasm, Server, Zone} from '../kasm/types.js'
import {serverNow} from '../sessions/sessions.js'
import {agentTotal, slotsOn} from '../capacity/index.js'
import {compareNames} from '../text.js'
import {computeZoneCapacity, sessionsOn, type ZoneCapacity} from './capacity.js'
import {isAgent, resolveAgent, resolveZone} from './resolve.js'
import {type DisableRecord, type DrainRecord, listDisableRecords, readDisableRecord, removeDisableRecord, writeDisableRecord} from './state.js'

/** One agent as `agent list --json` / `agent get --json` show it (docs/json.md). Kasm's field names where they exist. */
export interface AgentView {
  server_id: string
  hostname: string
  zone_id: null | string
  zone_name: null | string
  enabled: boolean
  /** running, starting, missing, dead... */
  operational_status: null | string
  /** Last check-in (ISO 8601 UTC) and its age by the Kasm server's clock. */
  last_reported: null | string
  last_reported_age_seconds: null | number
  sessions: number
  cores: number
  cores_override: number
  /** Bytes. */
  memory: number
  memory_override: number
  /** What Kasm counts: the override when set, else the detected value. */
  effective_cores: number
  effective_memory: number
  /** Sessions of the zone's largest session in use (else the deployment's) that still fit on this agent by Kasm's rule (0 when it takes none); null when no session runs anywhere. */
  free_sessions: null | number
  agent_version: null | string
  /** Set while the agent is disabled by kasmctl: why, when, by which command, and the drain if any. */
  disabled: null | {by: DisableRecord['by']; at: string; reason: null | string; drain: DrainView | null}
}

/** A drain kasmctl recorded (`--monitor` re-attaches to it). */
export interface DrainView {
  started_at: string
  deadline_at: string
  force: boolean
  status: DrainRecord['status']
  updated_at: string
  /** At the last outcome; null while draining. */
  sessions_left: null | number
}

function drainView(drain: DrainRecord | undefined): DrainView | null {
  if (!drain) return null
  return {
    deadline_at: drain.deadlineAt,
    force: drain.force,
    sessions_left: drain.sessionsLeft ?? null,
    started_at: drain.startedAt,
    status: drain.status,
    updated_at: drain.updatedAt,
  }
}

/** Everything agent commands work from, fetched in parallel. */
export interface Fleet {
  servers: Server[]
  kasms: Kasm[]
  now: Date
  /** With `loadFleet(client, {zones: true})`: the zones' load strategies, which the capacity guard places with. */
  zones?: Zone[]
}

export async function loadFleet(client: KasmClient, options: {zones?: boolean} = {}): Promise<Fleet> {
  const [servers, {currentTime, kasms}, zones] = await Promise.all([
    client.getServers(),
    client.getKasms(),
    options.zones ? client.getZones({brief: true}) : undefined,
  ])
  return {kasms, now: serverNow(currentTime), servers, zones}
}

export function toAgentView(server: Server, fleet: Fleet, capacity: undefined | ZoneCapacity, record?: DisableRecord): AgentView {
  const kasms = sessionsOn(server.server_id, fleet.kasms)
  const effective = agentTotal(server)
  const lastReported = parseKasmDate(server.last_reported)
  const agent = capacity?.agents.find((a) => sameId(a.serverId, server.server_id))
  const fit = agent && capacity?.largest ? slotsOn(agent, capacity.largest.size) : null
  return {
    server_id: server.server_id,
    hostname: server.hostname,
    zone_id: server.zone_id ?? null,
    zone_name: server.zone_name ?? null,
    enabled: server.enabled,
    operational_status: server.operational_status ?? null,
    last_reported: lastReported?.toISOString() ?? null,
    last_reported_age_seconds: lastReported ? Math.max(0, Math.round((fleet.now.getTime() - lastReported.getTime()) / 1000)) : null,
    sessions: kasms.length,
    cores: server.cores ?? 0,
    cores_override: server.cores_override ?? 0,
    memory: server.memory ?? 0,
    memory_override: server.memory_override ?? 0,
    effective_cores: effective.cores,
    effective_memory: effective.memory,
    free_sessions: fit !== null && Number.isFinite(fit) ? fit : null,
    agent_version: server.agent_version ?? null,
    // A record left behind after someone re-enabled the agent in the Kasm UI says nothing true.
    disabled: record && !server.enabled ? {at: record.disabledAt, by: record.by, drain: drainView(record.drain), reason: record.reason ?? null} : null,
  }
}

/** Agents (optionally of one zone), ordered by zone then hostname. */
export async function listAgents(client: KasmClient, context: string, options: {zone?: string} = {}): Promise<AgentView[]> {
  const [fleet, records, zones] = await Promise.all([
    loadFleet(client),
    listDisableRecords(context),
    options.zone ? client.getZones({brief: true}) : Promise.resolve([] as Zone[]),
  ])
  const zone = options.zone ? resolveZone(zones, options.zone) : undefined
  const capacity = computeZoneCapacity(fleet.servers, fleet.kasms)
  return fleet.servers
    .filter((s) => isAgent(s) && (!zone || sameId(s.zone_id, zone.zone_id)))
    .sort((a, b) => compareNames(a.zone_name ?? '', b.zone_name ?? '') || compareNames(a.hostname, b.hostname))
    .map((s) => toAgentView(s, fleet, capacity.find((c) => sameId(c.zoneId, s.zone_id)), records.get(s.server_id)))
}

export async function getAgent(client: KasmClient, context: string, input: string): Promise<{agent: AgentView; server: Server; fleet: Fleet}> {
  const fleet = await loadFleet(client)
  const server = resolveAgent(fleet.servers, input)
  const capacity = computeZoneCapacity(fleet.servers, fleet.kasms).find((c) => sameId(c.zoneId, server.zone_id))
  return {agent: toAgentView(server, fleet, capacity, await readDisableRecord(context, server.server_id)), fleet, server}
}

/** Result of enable/disable for one agent (`agent enable|disable --json` items). */
export interface ToggleResult {
  server_id: string
  hostname: string
  zone_name: null | string
  enabled: boolean
  /** False when the agent already was in the wanted state (idempotent, still exit 0). */
  changed: boolean
  reason: null | string
}

export interface DisableOptions {
  context: string
  reason?: string
  by: DisableRecord['by']
  /** Drain details to record (deadline, force) for `drain --monitor`. */
  drain?: DisableRecord['drain']
}

/**
 * Disables an agent (no new sessions; running ones go on) and records why. update_server must
 * carry server_type: Kasm answers 401 "Unauthorized Action" without it.
 */
export async function disableAgent(client: KasmClient, server: Server, options: DisableOptions): Promise<ToggleResult> {
  const changed = server.enabled
  // A record left from an earlier disable is stale once the agent was enabled again (in the Kasm UI, say).
  const previous = changed ? undefined : await readDisableRecord(options.context, server.server_id)
  const record: DisableRecord = {
    agentId: server.server_id,
    by: previous?.by ?? options.by,
    context: options.context,
    disabledAt: previous?.disabledAt ?? new Date().toISOString(),
    drain: options.drain ?? previous?.drain,
    hostname: server.hostname,
    reason: options.reason ?? previous?.reason,
    version: 1,
    zoneName: server.zone_name,
  }
  // The record first: when it cannot be written (disk full, bad path), Kasm has not been changed yet.
  await writeDisableRecord(record)
  if (changed) {
    await client.updateServer(server.server_id, server.server_type, {enabled: false}).catch(async (error: unknown) => {
      await removeDisableRecord(options.context, server.server_id).catch(() => {})
      throw error
    })
  }

  return {...toggle(server, false, changed), reason: record.reason ?? null}
}

/** Enables an agent and forgets kasmctl's disable record. */
export async function enableAgent(client: KasmClient, server: Server, context: string): Promise<ToggleResult> {
  const changed = !server.enabled
  if (changed) await client.updateServer(server.server_id, server.server_type, {enabled: true})
  await removeDisableRecord(context, server.server_id)
  return {...toggle(server, true, changed), reason: null}
}

function toggle(server: Server, enabled: boolean, changed: boolean): Omit<ToggleResult, 'reason'> {
  return {server_id: server.server_id, hostname: server.hostname, zone_name: server.zone_name ?? null, enabled, changed}
}
