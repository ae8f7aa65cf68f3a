import {isAtLeast, type KasmVersion} from '../../kasm/version.js'
import type {Queryable} from './db.js'

/**
 * Builds Kasm's JSON objects (kasm-api.md §5) from rows. Rows already carry 32-hex ids and Kasm
 * datetime strings (db.ts type parsers). The Kasm version decides the memory field names.
 */

export type {KasmVersion} from '../../kasm/version.js'
type Row = Record<string, unknown>

export const SANITIZED = '**********'

/** 1.19 renamed memory → memory_bytes and memory_override → memory_override_bytes. */
export function memoryFields(version: KasmVersion, memory: unknown, override?: unknown): Row {
  const renamed = isAtLeast(version, '1.19')
  const fields: Row = renamed ? {memory_bytes: memory} : {memory}
  if (override !== undefined) fields[renamed ? 'memory_override_bytes' : 'memory_override'] = override
  return fields
}

function parseUtc(kasmDate: unknown): number | undefined {
  return typeof kasmDate === 'string' ? Date.parse(`${kasmDate.replace(' ', 'T').slice(0, 23)}Z`) : undefined
}

/** Python's str(timedelta) without microseconds: "0:00:12", "1 day, 2:03:04". */
export function elapsed(since: unknown, now = Date.now()): {seconds: null | number; text: null | string} {
  const then = parseUtc(since)
  if (then === undefined || Number.isNaN(then)) return {seconds: null, text: null}
  const total = Math.max(0, Math.floor((now - then) / 1000))
  const days = Math.floor(total / 86_400)
  const rest = total % 86_400
  const clock = `${Math.floor(rest / 3600)}:${String(Math.floor((rest % 3600) / 60)).padStart(2, '0')}:${String(rest % 60).padStart(2, '0')}`
  return {seconds: total, text: days ? `${days} day${days === 1 ? '' : 's'}, ${clock}` : clock}
}

function round2(value: number): number {
  return Math.round(value * 100) / 100
}

function parseJsonText(value: unknown): unknown {
  if (typeof value !== 'string' || value === '') return value ?? null
  try {
    return JSON.parse(value)
  } catch {
    return value
  }
}

/** GPUs the agent detected (its docker_info, as Kasm reads them). */
function detectedGpus(server: Row): number {
  const info = server.docker_info as null | {GPUs?: unknown} | undefined
  return Number(info?.GPUs ?? 0) || 0
}

/** Cores, memory and gpus an agent offers: each override when set (non-zero), else what it reported. */
export function capacity(server: Row): {cores: number; gpus: number; memory: number} {
  const cores = Number(server.cores_override) > 0 ? Number(server.cores_override) : Number(server.cores ?? 0)
  const memory = Number(server.memory_override_bytes) > 0 ? Number(server.memory_override_bytes) : Number(server.memory_bytes ?? 0)
  const gpus = Number(server.gpus_override) > 0 ? Number(server.gpus_override) : detectedGpus(server)
  return {cores, gpus, memory}
}

/** Sessions Kasm counts in an agent's core_calculations / memory_calculations (kasm-verified.md §3). */
const CALCULATION_STATES = new Set(['running', 'starting'])

export function managerJson(row: Row, now = Date.now()): Row {
  const since = elapsed(row.last_reported, now)
  return {
    cores: row.cores ?? null,
    cpu_percent: row.cpu_percent ?? null,
    disk_stats: row.disk_stats ?? null,
    enabled: row.enabled ?? true,
    first_reported: row.first_reported ?? null,
    is_primary: Boolean(row.is_primary),
    last_reported: row.last_reported ?? null,
    last_reported_elapsed: since.text,
    last_reported_seconds: since.seconds,
    manager_hostname: row.manager_hostname,
    manager_id: row.manager_id,
    manager_version: row.manager_version ?? null,
    memory_stats: row.memory_stats ?? null,
    operational_status: row.operational_status ?? null,
    zone_id: row.zone_id,
    zone_name: row.zone_name ?? null,
  }
}

export interface SessionBrief {
  cores: number
  gpus: number
  kasm_id: string
  keepalive_date: string
  memory_bytes: number
  operational_status: string
  server_id: string
  start_date: null | string
  user_id: null | string
  username: null | string
}

export function serverJson(row: Row, sessions: SessionBrief[], manager: Row | undefined, version: KasmVersion, now = Date.now()): Row {
  const max = capacity(row)
  const counted = sessions.filter((k) => CALCULATION_STATES.has(k.operational_status))
  const usedCores = counted.reduce((sum, k) => sum + Number(k.cores ?? 0), 0)
  const usedMemory = counted.reduce((sum, k) => sum + Number(k.memory_bytes ?? 0), 0)
  const since = elapsed(row.last_reported, now)
  const secret = (value: unknown) => (value ? SANITIZED : value ?? null)
  return {
    agent_installed: row.agent_installed ?? false,
    agent_version: row.agent_version ?? null,
    autoscale_config: row.autoscale_config_id
      ? {autoscale_config_id: row.autoscale_config_id, autoscale_config_name: row.autoscale_config_name ?? null}
      : null,
    autoscale_config_id: row.autoscale_config_id ?? null,
    connection_info: parseJsonText(row.connection_info),
    connection_passphrase: null,
    connection_password: secret(row.connection_password),
    connection_port: row.connection_port ?? null,
    connection_private_key: null,
    connection_type: row.connection_type ?? null,
    connection_username: row.connection_username ?? null,
    container_limit: row.container_limit ?? null,
    core_calculations: {max: max.cores, percentage: max.cores ? round2((usedCores / max.cores) * 100) : 0, used: usedCores},
    cores: row.cores ?? 0,
    cores_override: row.cores_override ?? 0,
    cpu_percent: row.cpu_percent ?? null,
    created: row.created,
    disk_stats: row.disk_stats ?? null,
    docker_info: row.docker_info ?? null,
    enabled: row.enabled,
    friendly_name: row.friendly_name ?? null,
    gpus: detectedGpus(row),
    gpus_override: row.gpus_override ?? 0,
    hostname: row.hostname,
    instance_id: row.instance_id ?? null,
    is_autoscaled: Boolean(row.autoscale_config_id),
    kasms: sessions.map((k) => ({
      kasm_id: k.kasm_id,
      keepalive_date: k.keepalive_date,
      start_date: k.start_date,
      user: {user_id: k.user_id, username: k.username},
    })),
    last_reported: row.last_reported ?? null,
    last_reported_elapsed: since.text,
    manager: manager ?? null,
    manager_id: row.manager_id ?? null,
    max_simultaneous_sessions: row.max_simultaneous_sessions ?? null,
    memory_calculations: {max: max.memory, percentage: max.memory ? round2((usedMemory / max.memory) * 100) : 0, used: usedMemory},
    memory_stats: row.memory_stats ?? null,
    ...memoryFields(version, row.memory_bytes ?? 0, row.memory_override_bytes ?? 0),
    operational_status: row.operational_status ?? null,
    port: row.port ?? null,
    provider: row.provider ?? null,
    prune_images_mode: row.prune_images_mode ?? 'Normal',
    public_ip: row.public_ip ?? null,
    server_id: row.server_id,
    server_pool_id: row.server_pool_id ?? null,
    server_pool_name: row.server_pool_name ?? null,
    server_type: row.server_type,
    tags: row.tags ?? null,
    use_user_private_key: row.use_user_private_key ?? false,
    zone: row.zone_id ? {zone_id: row.zone_id, zone_name: row.zone_name ?? null} : null,
    zone_id: row.zone_id ?? null,
    zone_name: row.zone_name ?? null,
    ...since119(row),
  }
}

/** Columns 1.19 added to servers: a release whose table lacks them does not return them. */
function since119(row: Row): Row {
  const fields: Row = {}
  for (const column of ['drain_time', 'gpu_exclusions', 'max_simultaneous_users', 'server_template_id']) {
    if (column in row) fields[column] = row[column] ?? null
  }

  return fields
}

/** Servers (with their sessions and managers) as get_servers, get_zones and update_server return them. */
export async function loadServers(
  db: Queryable,
  version: KasmVersion,
  serverId?: string,
  managersLoaded: Promise<Row[]> = loadManagers(db),
): Promise<Row[]> {
  const where = serverId ? 'WHERE s.server_id = $1' : ''
  const params = serverId ? [serverId] : []
  const [servers, sessions, managers] = await Promise.all([
    db.query(
      `SELECT s.*, z.zone_name, ac.autoscale_config_name, sp.server_pool_name
         FROM servers s
         LEFT JOIN zones z ON z.zone_id = s.zone_id
         LEFT JOIN autoscale_configs ac ON ac.autoscale_config_id = s.autoscale_config_id
         LEFT JOIN server_pools sp ON sp.server_pool_id = s.server_pool_id
         ${where} ORDER BY s.hostname, s.server_id`,
      params,
    ),
    db.query<SessionBrief>(
      `SELECT k.kasm_id, k.server_id, k.start_date, k.keepalive_date, k.operational_status, k.cores, k.memory_bytes, k.gpus, k.user_id, u.username
         FROM kasms k LEFT JOIN users u ON u.user_id = k.user_id
         ${serverId ? 'WHERE k.server_id = $1' : ''} ORDER BY k.created_date`,
      params,
    ),
    managersLoaded,
  ])
  const now = Date.now()
  const byServer = new Map<string, SessionBrief[]>()
  for (const k of sessions.rows) byServer.set(k.server_id, [...(byServer.get(k.server_id) ?? []), k])
  const managerById = new Map(managers.map((m) => [m.manager_id as string, managerJson(m, now)]))
  return servers.rows.map((s) =>
    serverJson(s, byServer.get(s.server_id as string) ?? [], managerById.get(s.manager_id as string), version, now),
  )
}

export async function loadManagers(db: Queryable): Promise<Row[]> {
  const {rows} = await db.query(
    `SELECT m.*, z.zone_name, (z.primary_manager_id IS NOT NULL AND z.primary_manager_id = m.manager_id) AS is_primary
       FROM managers m LEFT JOIN zones z ON z.zone_id = m.zone_id
      ORDER BY m.manager_hostname, m.manager_id`,
  )
  return rows
}

/** Columns of kasm sessions joined with what the admin list adds (user, image, server, zone). */
export const KASM_SELECT = `
  SELECT k.*, u.username, i.name AS image_name, i.friendly_name AS image_friendly_name, i.image_type,
         i.session_time_limit, i.categories, s.hostname AS server_hostname, s.port AS server_port,
         s.provider AS server_provider, s.public_ip AS server_public_ip, z.zone_name, z.proxy_hostname,
         z.proxy_port, z.proxy_path
    FROM kasms k
    LEFT JOIN users u ON u.user_id = k.user_id
    LEFT JOIN images i ON i.image_id = k.image_id
    LEFT JOIN servers s ON s.server_id = k.server_id
    LEFT JOIN zones z ON z.zone_id = s.zone_id`

/** Statuses before an agent is assigned: the admin list shows no server for them. */
const UNASSIGNED = new Set(['assigned', 'provisioning', 'requested'])

export function kasmJson(row: Row, version: KasmVersion, requestHost: string): Row {
  const container = (row.image_type ?? 'Container') === 'Container'
  const proxyHost = row.proxy_hostname === '$request_host$' ? requestHost : row.proxy_hostname ?? null
  const path = `${row.proxy_path ?? 'desktop'}/${row.kasm_id}`
  const unassigned = UNASSIGNED.has(String(row.operational_status))
  return {
    autoscale_config_id: null,
    cast_config_id: null,
    client_settings: {},
    connection_proxy_id: row.connection_proxy_id ?? null,
    container_id: row.container_id ?? null,
    container_ip: row.container_ip ?? null,
    cores: row.cores ?? null,
    created_date: row.created_date,
    docker_network: row.docker_network ?? null,
    expiration_date: row.expiration_date,
    gpus: row.gpus ?? 0,
    host: row.server_public_ip ?? row.server_hostname ?? null,
    // For container sessions Kasm shows the zone's proxy hostname, not the agent's.
    hostname: container ? proxyHost : row.server_hostname ?? null,
    image: {
      categories: row.categories ?? [],
      default_category: null,
      friendly_name: row.image_friendly_name ?? null,
      image_id: row.image_id ?? null,
      image_src: null,
      image_type: row.image_type ?? null,
      name: row.image_name ?? null,
      session_time_limit: row.session_time_limit ?? null,
    },
    image_id: row.image_id ?? null,
    is_persistent_profile: false,
    is_standby: row.is_standby ?? false,
    kasm_id: row.kasm_id,
    keepalive_date: row.keepalive_date,
    ...memoryFields(version, row.memory_bytes ?? null),
    operational_message: row.operational_message ?? null,
    operational_progress: row.operational_progress ?? null,
    operational_status: row.operational_status,
    persistent_profile_mode: null,
    port: row.server_port ?? null,
    port_map: {
      audio: {path: `${path}/audio`, port: row.proxy_port ?? 443},
      uploads: {path: `${path}/uploads`, port: row.proxy_port ?? 443},
      vnc: {path: `${path}/vnc`, port: row.proxy_port ?? 443},
    },
    server: {
      hostname: unassigned ? null : container ? row.server_hostname ?? null : proxyHost,
      port: unassigned ? null : row.server_port ?? null,
      provider: unassigned ? null : row.server_provider ?? null,
      zone_name: row.zone_name ?? null,
    },
    server_id: row.server_id ?? null,
    share_id: row.share_id ?? null,
    staging_config_id: null,
    start_date: row.start_date ?? null,
    token: '',
    user: {username: row.username ?? null},
    user_id: row.user_id ?? null,
    view_only_token: '',
  }
}
