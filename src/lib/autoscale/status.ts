/**
 * `kasmctl autoscale status`: what Kasm's autoscaler sees now, config by config, graded like a
 * monitoring plugin and explained (each wait with its reason and elapsed time, as nomad does).
 * - Server pools (autoscale-server-pool.txt): each running server can take the LOWER of the sessions
 *   and the new users it still has room for; the pool's total is compared with Minimum Available
 *   Sessions, and servers are added until it is reached. Starting servers count as coming capacity.
 * - Docker agents: standby cores/memory/gpus against the free resources of the zone's agents, each
 *   agent's free resources by Kasm's per-agent rule (src/lib/capacity).
 * - Servers stuck in `starting` past the check-in timeout while require_checkin is on: the likely
 *   cause and the set_server_status call they need.
 */
import {type AgentCapacity, agentCapacities, freeResources, NO_RESOURCES, type Resources, sumResources} from '../capacity/index.js'
import {formatDuration} from '../duration.js'
import type {HealthStatus} from '../health/types.js'
import {STATUS_EXIT_CODE} from '../health/types.js'
import {worstStatus} from '../health/status.js'
import type {KasmClient} from '../kasm/client.js'
import {sameId} from '../kasm/ids.js'
import {parseKasmDate} from '../kasm/normalize.js'
import type {Kasm, RawAutoscaleConfig, Server, Zone} from '../kasm/types.js'
import {formatBytes} from '../output/units.js'
import {isDefaultUpstream} from '../zones/settings.js'
import {type AutoscaleInventory, configView, loadInventory, resolveConfig} from './configs.js'
import {settingsOfConfig} from './fields.js'

export const DEFAULT_CHECKIN_TIMEOUT_SECONDS = 600

export interface PoolServerStatus {
  server_id: string
  hostname: string
  operational_status: null | string
  autoscaled: boolean
  sessions: number
  max_sessions: number
  users: number
  /** null: the server sets no user limit (sessions decide alone). */
  max_users: null | number
  /** New sessions it has room for. */
  free_sessions: number
  /** New users it has room for; null without a user limit. */
  free_users: null | number
  /** The lower of the sessions and the new users it can still take (0 unless running). */
  available: number
  /** Seconds since it was created, while it is starting; null otherwise. */
  starting_seconds: null | number
}

export interface StuckServer {
  server_id: string
  hostname: string
  starting_seconds: number
  cause: string
  /** The call the server must make (the guide's curl), with {checkin_jwt} for its token. */
  checkin_call: string
}

export interface ConfigStatus {
  autoscale_config_id: string
  autoscale_config_name: string
  autoscale_type: string
  enabled: boolean
  zone_name: null | string
  server_pool_name: null | string
  status: HealthStatus
  /** Why the status is what it is, most important first. */
  reasons: string[]
  server_pool: null | {
    minimum_available_sessions: number
    max_sessions_per_server: number
    available_sessions: number
    /** Sessions the starting servers will add once running. */
    pending_sessions: number
    /** Servers Kasm would add now (bounded by the VM provider's max_instances when known). */
    servers_to_add: number
    servers: PoolServerStatus[]
  }
  docker_agent: null | {
    standby: Resources
    free: Resources
    /** Resources of the starting autoscaled agents. */
    pending: Resources
    agents_to_add: number
    agents: Array<{server_id: string; hostname: string; available: boolean; autoscaled: boolean; free: Resources}>
  }
  stuck: StuckServer[]
}

export interface AutoscaleStatusReport {
  status: HealthStatus
  exitCode: number
  checkedAt: string
  checkin_timeout_seconds: number
  configs: ConfigStatus[]
}

export interface StatusInput extends AutoscaleInventory {
  /** get_servers: pool members, autoscaled servers and agents with their sessions. */
  servers: Server[]
  /** get_kasms: session sizes for the Docker-agent rule. */
  kasms: Kasm[]
}

/** Reads what `autoscale status` needs from Kasm (sessions only when a Docker-agent config is shown) and grades it. */
export async function readAutoscaleStatus(client: KasmClient, configRef: string | undefined, options: {checkinTimeoutSeconds: number; now: Date}): Promise<AutoscaleStatusReport> {
  const inventory = await loadInventory(client)
  const configs = configRef === undefined ? inventory.configs : [resolveConfig(inventory.configs, configRef)]
  const dockerConfigs = configs.some((c) => c.autoscale_type !== 'Server Pool')
  const [servers, {kasms}] = await Promise.all([client.getServers(), dockerConfigs ? client.getKasms() : {kasms: []}])
  return autoscaleStatus({...inventory, kasms, servers}, configs, options)
}

export function autoscaleStatus(input: StatusInput, configs: readonly RawAutoscaleConfig[], options: {checkinTimeoutSeconds: number; now: Date}): AutoscaleStatusReport {
  const results = configs.map((config) => configStatus(config, input, options))
  const status = results.length === 0 ? 'UNKNOWN' : worstStatus(results.map((r) => r.status))
  return {
    checkedAt: options.now.toISOString(),
    checkin_timeout_seconds: options.checkinTimeoutSeconds,
    configs: results,
    exitCode: STATUS_EXIT_CODE[status],
    status,
  }
}

function configStatus(config: RawAutoscaleConfig, input: StatusInput, options: {checkinTimeoutSeconds: number; now: Date}): ConfigStatus {
  const view = configView(config, input)
  const settings = settingsOfConfig(config)
  const zone = input.zones.find((z) => sameId(z.zone_id, config.zone_id))
  const result: ConfigStatus = {
    autoscale_config_id: view.autoscale_config_id,
    autoscale_config_name: view.autoscale_config_name,
    autoscale_type: view.autoscale_type,
    docker_agent: null,
    enabled: settings.enabled !== false,
    reasons: [],
    server_pool: null,
    server_pool_name: view.server_pool_name,
    status: 'OK',
    stuck: [],
    zone_name: view.zone_name,
  }
  const grade = (status: HealthStatus, reason: string) => {
    result.status = worstStatus([result.status, status])
    result.reasons.push(reason)
  }

  if (!result.enabled) grade('OK', 'disabled: Kasm does not scale with this config')
  if (!zone) grade(result.enabled ? 'CRITICAL' : 'OK', `its zone ${config.zone_id} no longer exists: Kasm cannot scale it`)
  if (!view.server_pool_name) grade(result.enabled ? 'CRITICAL' : 'OK', 'it has no server pool (deleted?): Kasm has nowhere to add servers')
  if (!zone || !view.server_pool_name) return result

  const age = (server: Server) => {
    const created = parseKasmDate(server.created as string | undefined)
    return created ? Math.max(0, Math.round((options.now.getTime() - created.getTime()) / 1000)) : 0
  }

  const ownServers = input.servers.filter((s) => sameId(s.autoscale_config_id as string | undefined, config.autoscale_config_id))
  const maxInstances = config.vm_provider_config?.max_instances
  const room = maxInstances === undefined ? Number.POSITIVE_INFINITY : Math.max(0, maxInstances - ownServers.length)
  if (view.autoscale_type === 'Server Pool') serverPoolPart(result, config, input, {age, grade, room})
  else dockerAgentPart(result, config, input, {grade, room})

  for (const server of ownServers.filter((s) => s.operational_status === 'starting')) {
    const seconds = age(server)
    const waited = `${server.hostname} starting for ${seconds === 0 ? '0s' : formatDuration(seconds * 1000)}`
    if (settings.require_checkin === false) {
      grade('OK', `${waited}: it runs once booted (require_checkin is off)`)
    } else if (seconds <= options.checkinTimeoutSeconds) {
      grade('OK', `${waited}: waiting for it to call set_server_status (check-in timeout ${formatDuration(options.checkinTimeoutSeconds * 1000)})`)
    } else {
      const stuck = stuckServer(server, zone, seconds)
      result.stuck.push(stuck)
      grade('CRITICAL', `${waited}, past the check-in timeout of ${formatDuration(options.checkinTimeoutSeconds * 1000)}: ${stuck.cause}`)
    }
  }

  if (result.enabled && result.reasons.length === 0) grade('OK', 'nothing to do')
  return result
}

interface PartHelpers {
  grade: (status: HealthStatus, reason: string) => void
  room: number
}

function serverPoolPart(result: ConfigStatus, config: RawAutoscaleConfig, input: StatusInput, helpers: PartHelpers & {age: (s: Server) => number}): void {
  const settings = settingsOfConfig(config)
  const perServer = Math.max(1, Number(settings.max_simultaneous_sessions_per_server ?? 1))
  const minimum = Number(settings.minimum_pool_standby_sessions ?? 0)
  const members = input.servers.filter(
    (s) => s.server_pool_id && sameId(s.server_pool_id as string, config.server_pool_id) && sameId(s.zone_id, config.zone_id) && s.enabled,
  )
  const servers = members.map((server): PoolServerStatus => {
    const sessions = server.kasms?.length ?? 0
    const users = new Set((server.kasms ?? []).map((k) => k.user?.user_id ?? k.kasm_id)).size
    const maxSessions = Number(server.max_simultaneous_sessions ?? perServer)
    const maxUsers = server.max_simultaneous_users === null || server.max_simultaneous_users === undefined ? null : Number(server.max_simultaneous_users)
    const freeSessions = Math.max(0, maxSessions - sessions)
    const freeUsers = maxUsers === null ? null : Math.max(0, maxUsers - users)
    const room = Math.min(freeSessions, freeUsers ?? freeSessions)
    const status = server.operational_status ?? null
    return {
      autoscaled: Boolean(server.autoscale_config_id),
      available: status === 'running' ? room : 0,
      free_sessions: freeSessions,
      free_users: freeUsers,
      hostname: server.hostname,
      max_sessions: maxSessions,
      max_users: maxUsers,
      operational_status: status,
      server_id: server.server_id,
      sessions,
      starting_seconds: status === 'starting' ? helpers.age(server) : null,
      users,
    }
  })
  const available = servers.reduce((sum, s) => sum + s.available, 0)
  const pending = servers
    .filter((s) => s.operational_status === 'starting')
    .reduce((sum, s) => sum + Math.min(s.max_sessions, s.max_users ?? s.max_sessions), 0)
  const wanted = minimum > available + pending ? Math.ceil((minimum - available - pending) / perServer) : 0
  const toAdd = Math.min(wanted, helpers.room)
  result.server_pool = {available_sessions: available, max_sessions_per_server: perServer, minimum_available_sessions: minimum, pending_sessions: pending, servers, servers_to_add: toAdd}
  if (!result.enabled) return
  const counted = `the pool can take ${available} new session(s) (each running server: the lower of its free sessions and free users) against a Minimum Available Sessions of ${minimum}`
  if (toAdd > 0) helpers.grade('WARNING', `${counted}${pending > 0 ? `, ${pending} more once its starting servers run` : ''}: Kasm would add ${toAdd} server(s) of ${perServer} session(s)`)
  else if (wanted > 0) helpers.grade('WARNING', `${counted}: ${wanted} more server(s) needed but the VM provider is at its max_instances`)
  else if (available < minimum) helpers.grade('OK', `${counted}: ${pending} more once its starting servers run`)
  else helpers.grade('OK', counted)
}

function dockerAgentPart(result: ConfigStatus, config: RawAutoscaleConfig, input: StatusInput, helpers: PartHelpers): void {
  const settings = settingsOfConfig(config)
  const agents = agentCapacities(input.servers, input.kasms, config.zone_id)
  const isStartingAutoscaled = (agent: AgentCapacity) =>
    agent.autoscaled && input.servers.find((s) => s.server_id === agent.serverId)?.operational_status === 'starting'
  const free = sumResources(agents.filter((a) => a.available).map((a) => nonNegative(freeResources(a))))
  const pending = sumResources(agents.filter((a) => isStartingAutoscaled(a)).map((a) => a.total))
  const standby = {cores: Number(settings.standby_cores ?? 0), gpus: Number(settings.standby_gpus ?? 0), memory: Number(settings.standby_memory_bytes ?? 0)}
  const size = agentSize(settings, agents)
  const short = (key: keyof Resources) => Math.max(0, standby[key] - free[key] - pending[key])
  const needed = Math.max(...(['cores', 'memory', 'gpus'] as const).map((key) => (short(key) > 0 ? Math.ceil(short(key) / Math.max(size[key], 1)) : 0)))
  const toAdd = Math.min(needed, helpers.room)
  result.docker_agent = {
    agents: agents.map((a) => ({autoscaled: a.autoscaled, available: a.available, free: nonNegative(freeResources(a)), hostname: a.hostname, server_id: a.serverId})),
    agents_to_add: toAdd,
    free,
    pending,
    standby,
  }
  if (!result.enabled) return
  const counted = `free in the zone (per agent, running agents only): ${describe(free)}; standby wanted: ${describe(standby)}`
  if (toAdd > 0) helpers.grade('WARNING', `${counted}: Kasm would add ${toAdd} agent(s)`)
  else if (needed > 0) helpers.grade('WARNING', `${counted}: ${needed} more agent(s) needed but the VM provider is at its max_instances`)
  else helpers.grade('OK', counted)
}

/** A new agent's size: the config's overrides, else the largest agent of the zone. */
function agentSize(settings: ReturnType<typeof settingsOfConfig>, agents: AgentCapacity[]): Resources {
  const largest = agents.reduce((max, a) => ({cores: Math.max(max.cores, a.total.cores), gpus: Math.max(max.gpus, a.total.gpus), memory: Math.max(max.memory, a.total.memory)}), NO_RESOURCES)
  const pick = (override: unknown, fallback: number) => (Number(override) > 0 ? Number(override) : fallback)
  return {
    cores: pick(settings.agent_cores_override, largest.cores),
    gpus: pick(settings.agent_gpus_override, largest.gpus),
    memory: pick(settings.agent_memory_override_bytes, largest.memory),
  }
}

function nonNegative(r: Resources): Resources {
  return {cores: Math.max(0, r.cores), gpus: Math.max(0, r.gpus), memory: Math.max(0, r.memory)}
}

function describe(r: Resources): string {
  return `${Math.round(r.cores * 100) / 100} cores, ${formatBytes(r.memory)}, ${r.gpus} GPUs`
}

function stuckServer(server: Server, zone: Zone, seconds: number): StuckServer {
  const upstream = zone.upstream_auth_address ?? '$request_host$'
  const cause = isDefaultUpstream(upstream)
    ? `zone ${zone.zone_name}'s upstream_auth_address is left at its default "${upstream}": a new server cannot reach the API to check in. Set it (\`kasmctl zone set ${zone.zone_name} --upstream-auth-address API_HOST\`)`
    : `it has not called set_server_status: check that it reaches https://${upstream}/api/set_server_status (firewall, DNS, TLS) and that its startup script runs`
  return {
    cause,
    checkin_call: `curl -k -X POST -H "Content-Type: application/json" -d '{"status": "running", "status_message": "Initialization Complete", "status_progress": "100"}' "https://${isDefaultUpstream(upstream) ? 'API_HOST' : upstream}/api/set_server_status?token={checkin_jwt}"`,
    hostname: server.hostname,
    server_id: server.server_id,
    starting_seconds: seconds,
  }
}
