import {asUuid, type Queryable} from '../db.js'
import {businessError} from '../http.js'
import {isAtLeast} from '../../../kasm/version.js'
import type {KasmVersion} from '../views.js'
import {type ApiContext, type Endpoint, insertRow, type Kind, type Row, target, typed, updateRow} from './context.js'

/**
 * Server pools, autoscale configs, their schedules and VM providers (kasm-verified.md §2).
 * update_autoscale_config is NOT partial here: whether Kasm's is, is unverified (the admin UI always
 * sends the whole object), so a field left out goes back to its default. A client that sends only
 * what changed loses the rest, which is what the tests must catch.
 */

const POOL_TYPES = ['Docker Agent', 'Server Pool']

/** Settable columns every version reads, with their defaults (schema.sql). */
const CONFIG_FIELDS: Record<string, {default: unknown; kind: Kind}> = {
  agent_cores_override: {default: 0, kind: 'integer'},
  agent_gpus_override: {default: 0, kind: 'integer'},
  aggressive_scaling: {default: false, kind: 'boolean'},
  autoscale_type: {default: 'Docker Agent', kind: 'string'},
  connection_port: {default: null, kind: 'integer'},
  connection_type: {default: null, kind: 'string'},
  connection_username: {default: null, kind: 'string'},
  downscale_backoff: {default: 900, kind: 'integer'},
  enabled: {default: true, kind: 'boolean'},
  max_simultaneous_sessions_per_server: {default: 1, kind: 'integer'},
  minimum_pool_standby_sessions: {default: 0, kind: 'integer'},
  register_dns: {default: false, kind: 'boolean'},
  require_checkin: {default: true, kind: 'boolean'},
  reusable: {default: false, kind: 'boolean'},
  standby_cores: {default: 0, kind: 'integer'},
  standby_gpus: {default: 0, kind: 'integer'},
}

/** 1.19-only columns: a 1.15 server drops them silently, as it drops unknown zone fields. */
const CONFIG_FIELDS_119: Record<string, {default: unknown; kind: Kind}> = {
  max_simultaneous_users: {default: null, kind: 'integer'},
  rotate_servers_in_days: {default: null, kind: 'integer'},
  rotate_servers_pre_warm_minutes: {default: null, kind: 'integer'},
}

/** Memory columns: bytes in the 1.19 schema; 1.15 says standby_memory_mb and agent_memory_override_gb. */
const MEMORY_FIELDS = [
  {column: 'standby_memory_bytes', legacy: 'standby_memory_mb', unit: 1e6},
  {column: 'agent_memory_override_bytes', legacy: 'agent_memory_override_gb', unit: 1e9},
] as const

const CONFIG_SELECT = `
  SELECT ac.*, z.zone_name, sp.server_pool_name, sp.server_pool_type,
         vp.vm_provider_display_name, vp.vm_provider_name, vp.max_instances
    FROM autoscale_configs ac
    LEFT JOIN zones z ON z.zone_id = ac.zone_id
    LEFT JOIN server_pools sp ON sp.server_pool_id = ac.server_pool_id
    LEFT JOIN vm_provider_configs vp ON vp.vm_provider_config_id = ac.vm_provider_config_id`

function autoscaleConfigJson(row: Row, version: KasmVersion): Row {
  const json: Row = {
    autoscale_config_id: row.autoscale_config_id,
    autoscale_config_name: row.autoscale_config_name,
    connection_info: row.connection_info ?? null,
    hooks: null,
    last_provision: row.last_provision ?? null,
    request_downscale_at: row.request_downscale_at ?? null,
    server_pool_id: row.server_pool_id ?? null,
    server_pool_name: row.server_pool_name ?? null,
    vm_provider_config: row.vm_provider_config_id
      ? {max_instances: row.max_instances, vm_provider_config_id: row.vm_provider_config_id, vm_provider_display_name: row.vm_provider_display_name, vm_provider_name: row.vm_provider_name}
      : null,
    vm_provider_config_id: row.vm_provider_config_id ?? null,
    zone_id: row.zone_id,
    zone_name: row.zone_name ?? null,
  }
  for (const field of Object.keys(CONFIG_FIELDS)) json[field] = row[field] ?? null
  if (isAtLeast(version, '1.19')) for (const field of Object.keys(CONFIG_FIELDS_119)) json[field] = row[field] ?? null
  for (const {column, legacy, unit} of MEMORY_FIELDS) {
    const bytes = Number(row[column] ?? 0)
    if (isAtLeast(version, '1.19')) json[column] = bytes
    else json[legacy] = bytes / unit
  }

  return json
}

async function loadConfigs(db: Queryable, version: KasmVersion, id?: string): Promise<Row[]> {
  const {rows} = await db.query(`${CONFIG_SELECT} ${id ? 'WHERE ac.autoscale_config_id = $1' : ''} ORDER BY ac.autoscale_config_name`, id ? [id] : [])
  return rows.map((row) => autoscaleConfigJson(row, version))
}

/** The whole config from the request: every settable field, defaults for those left out. */
function configColumns(input: Row, version: KasmVersion): Row {
  const fields = isAtLeast(version, '1.19') ? {...CONFIG_FIELDS, ...CONFIG_FIELDS_119} : CONFIG_FIELDS
  const columns: Row = {}
  for (const [field, spec] of Object.entries(fields)) columns[field] = typed(input[field], spec.kind) ?? spec.default
  for (const {column, legacy, unit} of MEMORY_FIELDS) {
    const value = isAtLeast(version, '1.19') ? typed(input[column], 'integer') : input[legacy] === undefined || input[legacy] === null ? undefined : Math.round(Number(input[legacy]) * unit)
    if (Number.isNaN(value)) throw businessError(`Invalid Request: ${legacy} must be a number`)
    columns[column] = value ?? 0
  }

  if (!POOL_TYPES.includes(columns.autoscale_type as string)) throw businessError(`Invalid Request: autoscale_type must be one of ${POOL_TYPES.join(', ')}`)
  const name = typed(input.autoscale_config_name, 'string')
  if (!name) throw businessError('Invalid Request: Missing required parameters')
  columns.autoscale_config_name = name
  const zoneId = asUuid(input.zone_id)
  if (!zoneId) throw businessError('Invalid Request: zone_id must be a uuid')
  columns.zone_id = zoneId
  for (const field of ['server_pool_id', 'vm_provider_config_id']) {
    const id = input[field] === undefined || input[field] === null || input[field] === '' ? null : asUuid(input[field])
    if (id === undefined) throw businessError(`Invalid Request: ${field} must be a uuid`)
    columns[field] = id
  }

  columns.connection_info = input.connection_info === undefined || input.connection_info === null ? null : typeof input.connection_info === 'string' ? input.connection_info : JSON.stringify(input.connection_info)
  return columns
}

async function loadPools(ctx: ApiContext): Promise<Row[]> {
  const [pools, servers, configs] = await Promise.all([
    ctx.db.query('SELECT * FROM server_pools ORDER BY server_pool_name'),
    ctx.db.query('SELECT server_id, hostname, friendly_name, server_pool_id FROM servers WHERE server_pool_id IS NOT NULL ORDER BY hostname'),
    ctx.db.query('SELECT autoscale_config_id, autoscale_config_name, server_pool_id FROM autoscale_configs ORDER BY autoscale_config_name'),
  ])
  return pools.rows.map((pool) => ({
    autoscale_configs: configs.rows
      .filter((c) => c.server_pool_id === pool.server_pool_id)
      .map((c) => ({autoscale_config_id: c.autoscale_config_id, autoscale_config_name: c.autoscale_config_name})),
    server_pool_id: pool.server_pool_id,
    server_pool_name: pool.server_pool_name,
    server_pool_type: pool.server_pool_type,
    ...(isAtLeast(ctx.version, '1.19') ? {server_assignment_enabled: pool.server_assignment_enabled} : {}),
    servers: servers.rows
      .filter((s) => s.server_pool_id === pool.server_pool_id)
      .map((s) => ({friendly_name: s.friendly_name, hostname: s.hostname, server_id: s.server_id})),
  }))
}

function poolColumns(input: Row): Row {
  const name = typed(input.server_pool_name, 'string')
  const type = typed(input.server_pool_type, 'string') ?? 'Docker Agent'
  if (!name) throw businessError('Invalid Request: Missing required parameters')
  if (!POOL_TYPES.includes(type as string)) throw businessError(`Invalid Request: server_pool_type must be one of ${POOL_TYPES.join(', ')}`)
  return {server_pool_name: name, server_pool_type: type}
}

function idOf(input: Row, field: string): string {
  const id = asUuid(input[field])
  if (!id) throw businessError(`Invalid Request: ${field} must be a uuid`)
  return id
}

export const autoscaleEndpoints: Record<string, Endpoint> = {
  get_server_pools: {
    licensed: 'autoscale',
    permissions: [2400],
    write: false,
    async handle(ctx) {
      return {server_pools: await loadPools(ctx)}
    },
  },

  create_server_pool: {
    licensed: 'autoscale',
    permissions: [2402],
    write: true,
    async handle(ctx) {
      const id = await insertRow(ctx.db, 'server_pools', poolColumns(target(ctx.body, 'server_pool')), 'server_pool_id')
      return {server_pool: (await loadPools(ctx)).find((p) => p.server_pool_id === id)}
    },
  },

  update_server_pool: {
    licensed: 'autoscale',
    permissions: [2401],
    write: true,
    async handle(ctx) {
      const input = target(ctx.body, 'server_pool')
      const id = idOf(input, 'server_pool_id')
      if (!(await updateRow(ctx.db, 'server_pools', 'server_pool_id', id, poolColumns(input)))) throw businessError(`Server Pool (${id}) Does not Exist`)
      return {server_pool: (await loadPools(ctx)).find((p) => p.server_pool_id === id)}
    },
  },

  delete_server_pool: {
    licensed: 'autoscale',
    permissions: [2403],
    write: true,
    async handle(ctx) {
      const id = idOf(target(ctx.body, 'server_pool'), 'server_pool_id')
      // Servers and configs that pointed at it keep NULL (ON DELETE SET NULL): a config is left without its pool.
      const {rowCount} = await ctx.db.query('DELETE FROM server_pools WHERE server_pool_id = $1', [id])
      if (!rowCount) throw businessError(`Server Pool (${id}) Does not Exist`)
      return {}
    },
  },

  get_autoscale_configs: {
    licensed: 'autoscale',
    permissions: [2500],
    write: false,
    async handle(ctx) {
      return {autoscale_configs: await loadConfigs(ctx.db, ctx.version)}
    },
  },

  create_autoscale_config: {
    licensed: 'autoscale',
    permissions: [2502],
    write: true,
    async handle(ctx) {
      const id = await insertRow(ctx.db, 'autoscale_configs', configColumns(target(ctx.body, 'autoscale_config'), ctx.version), 'autoscale_config_id')
      const [config] = await loadConfigs(ctx.db, ctx.version, id as string)
      return {autoscale_config: config}
    },
  },

  update_autoscale_config: {
    licensed: 'autoscale',
    permissions: [2501],
    write: true,
    async handle(ctx) {
      const input = target(ctx.body, 'autoscale_config')
      const id = idOf(input, 'autoscale_config_id')
      if (!(await updateRow(ctx.db, 'autoscale_configs', 'autoscale_config_id', id, configColumns(input, ctx.version)))) throw businessError(`AutoScale Config (${id}) Does not Exist`)
      const [config] = await loadConfigs(ctx.db, ctx.version, id)
      return {autoscale_config: config}
    },
  },

  delete_autoscale_config: {
    licensed: 'autoscale',
    permissions: [2503],
    write: true,
    async handle(ctx) {
      const id = idOf(ctx.body, 'autoscale_config_id')
      const {rowCount} = await ctx.db.query('DELETE FROM autoscale_configs WHERE autoscale_config_id = $1', [id])
      if (!rowCount) throw businessError(`AutoScale Config (${id}) Does not Exist`)
      return {}
    },
  },

  get_schedules: {
    licensed: 'autoscale',
    permissions: [2500],
    write: false,
    async handle(ctx) {
      const id = idOf(ctx.body, 'target_autoscale_config_id')
      const {rows} = await ctx.db.query('SELECT * FROM schedules WHERE autoscale_config_id = $1 ORDER BY active_start_time, schedule_id', [id])
      return {schedules: rows}
    },
  },

  get_vm_provider_configs: {
    licensed: 'autoscale',
    permissions: [2600],
    write: false,
    async handle(ctx) {
      const {rows} = await ctx.db.query('SELECT * FROM vm_provider_configs ORDER BY vm_provider_display_name')
      return {vm_provider_configs: rows}
    },
  },
}
