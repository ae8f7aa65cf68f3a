import {asUuid, storedColumnsOnly} from '../db.js'
import {businessError, statusError} from '../http.js'
import {elapsed, loadManagers, loadServers, managerJson, SANITIZED} from '../views.js'
import {type ApiContext, type Endpoint, type Row, target, typed, updateRow} from './context.js'

/** Which permission a server type needs (kasm-api.md §4): agents are "host" rows, fixed servers "Desktop". */
const VIEW = {Desktop: 2300, host: 500} as const
const MODIFY = {Desktop: 2301, host: 501} as const
type ServerType = keyof typeof VIEW

const PRUNE_MODES = ['Off', 'Normal', 'Aggressive']

/** Partial-update columns of update_server and their types. */
const SERVER_FIELDS = {
  agent_installed: 'boolean',
  connection_port: 'integer',
  connection_type: 'string',
  connection_username: 'string',
  cores_override: 'integer',
  enabled: 'boolean',
  friendly_name: 'string',
  gpus_override: 'integer',
  hostname: 'string',
  max_simultaneous_sessions: 'integer',
  max_simultaneous_users: 'integer',
  prune_images_mode: 'string',
  use_user_private_key: 'boolean',
} as const

/** Kasm's update_server reads these with a default of False and writes them on Desktop rows: omitted means reset. */
const DESKTOP_DEFAULT_FALSE = ['use_user_private_key', 'agent_installed'] as const

function isServerType(value: unknown): value is ServerType {
  return value === 'host' || value === 'Desktop'
}

function serverIdOf(ctx: ApiContext): string {
  const input = target(ctx.body, 'server')
  const serverId = asUuid(input.server_id)
  if (!serverId) throw businessError('Invalid Request: server_id must be a uuid')
  return serverId
}

function serverChanges(input: Row, existing: Row): Row {
  const changes: Row = {}
  for (const [field, kind] of Object.entries(SERVER_FIELDS)) {
    const value = typed(input[field], kind)
    if (value !== undefined) changes[field] = value
  }

  if (existing.server_type === 'Desktop') {
    for (const field of DESKTOP_DEFAULT_FALSE) changes[field] ??= false
  }

  // 1.15 names it memory_override, the 1.19 schema memory_override_bytes: both are bytes.
  const memory = typed(input.memory_override_bytes ?? input.memory_override, 'integer')
  if (memory !== undefined) changes.memory_override_bytes = memory
  if (changes.prune_images_mode !== undefined && !PRUNE_MODES.includes(changes.prune_images_mode as string)) {
    throw businessError(`Invalid Request: prune_images_mode must be one of ${PRUNE_MODES.join(', ')}`)
  }

  const password = typed(input.connection_password, 'string')
  // An all-asterisks secret is the sanitised value coming back: ignored.
  if (password !== undefined && !/^\*+$/.test(password as string)) changes.connection_password = password
  if (input.connection_info !== undefined && input.connection_info !== null) {
    changes.connection_info = typeof input.connection_info === 'string' ? input.connection_info : JSON.stringify(input.connection_info)
  }

  if (input.zone_id !== undefined && input.zone_id !== null) {
    const zoneId = asUuid(input.zone_id)
    if (!zoneId) throw businessError('Invalid Request: zone_id must be a uuid')
    changes.zone_id = zoneId
  }

  if (input.server_pool_id !== undefined && input.server_pool_id !== null) {
    const poolId = input.server_pool_id === '' ? null : asUuid(input.server_pool_id)
    if (poolId === undefined) throw businessError('Invalid Request: server_pool_id must be a uuid')
    changes.server_pool_id = poolId
  }

  if ((changes.connection_type ?? existing.connection_type) === 'KasmVNC' && existing.server_type === 'Desktop') {
    changes.max_simultaneous_sessions = 1
  }

  return changes
}

export const serverEndpoints: Record<string, Endpoint> = {
  get_servers: {
    permissions: [VIEW.Desktop, VIEW.host],
    write: false,
    async handle(ctx) {
      const one = ctx.body.target_server === undefined ? undefined : serverIdOf(ctx)
      const servers = await loadServers(ctx.db, ctx.version, one)
      const visible = servers.filter((s) => isServerType(s.server_type) && ctx.key.has(VIEW[s.server_type]))
      if (one === undefined) return {servers: visible}
      if (servers.length === 0) throw businessError(`Server (${one}) Does not Exist`)
      if (visible.length === 0) throw statusError(401, 'Unauthorized')
      return {servers: [{...visible[0], registration_jwt: ctx.registrationJwt(one)}]}
    },
  },

  update_server: {
    permissions: [MODIFY.Desktop, MODIFY.host],
    write: true,
    async handle(ctx) {
      const input = target(ctx.body, 'server')
      // Kasm checks the permission of the type the caller names; no type, no permission.
      if (!isServerType(input.server_type) || !ctx.key.has(MODIFY[input.server_type])) {
        throw statusError(401, 'Unauthorized Action')
      }

      const serverId = serverIdOf(ctx)
      const {rows} = await ctx.db.query('SELECT server_type, connection_type FROM servers WHERE server_id = $1', [serverId])
      if (rows.length === 0) throw businessError(`Server (${serverId}) Does not Exist`)
      if (rows[0].server_type !== input.server_type) throw statusError(401, 'Unauthorized Action')
      // Fields of a later release (max_simultaneous_users before 1.19) are dropped, not stored.
      const changes = await storedColumnsOnly(ctx.db, 'servers', serverChanges(input, rows[0]))
      // An unknown zone or pool id fails a foreign key: unhandled in Kasm too (updateRow's write()).
      await updateRow(ctx.db, 'servers', 'server_id', serverId, changes)

      const [server] = await loadServers(ctx.db, ctx.version, serverId)
      return {server}
    },
  },

  get_managers: {
    permissions: [1800],
    write: false,
    async handle(ctx) {
      const [managers, servers] = await Promise.all([
        loadManagers(ctx.db),
        ctx.db.query('SELECT server_id, hostname, manager_id FROM servers WHERE manager_id IS NOT NULL ORDER BY hostname'),
      ])
      const now = Date.now()
      return {
        managers: managers.map((m) => ({
          ...managerJson(m, now),
          servers: servers.rows.filter((s) => s.manager_id === m.manager_id).map((s) => ({hostname: s.hostname, server_id: s.server_id})),
        })),
      }
    },
  },

  delete_manager: {
    permissions: [1803],
    write: true,
    async handle(ctx) {
      const managerId = asUuid(target(ctx.body, 'manager').manager_id)
      if (!managerId) throw businessError('Invalid Request: manager_id must be a uuid')
      // Zones and agents that pointed at it keep NULL (foreign keys ON DELETE SET NULL).
      const {rowCount} = await ctx.db.query('DELETE FROM managers WHERE manager_id = $1', [managerId])
      if (!rowCount) throw businessError(`Manager (${managerId}) Does not Exist`)
      return {}
    },
  },

  get_connection_proxies: {
    permissions: [2100],
    write: false,
    async handle(ctx) {
      const {rows} = await ctx.db.query(
        `SELECT cp.*, z.zone_name FROM connection_proxies cp LEFT JOIN zones z ON z.zone_id = cp.zone_id
          ORDER BY cp.server_address, cp.connection_proxy_id`,
      )
      const now = Date.now()
      return {
        connection_proxies: rows.map((p) => {
          const since = elapsed(p.last_reported, now)
          return {
            ...p,
            auth_token: p.auth_token ? SANITIZED : null,
            last_reported_elapsed: since.text,
            last_reported_seconds: since.seconds,
          }
        }),
      }
    },
  },

  destroy_agent_kasms: {
    permissions: [803],
    write: true,
    async handle(ctx) {
      const serverId = serverIdOf(ctx)
      const {rowCount} = await ctx.db.query('SELECT 1 FROM servers WHERE server_id = $1', [serverId])
      if (!rowCount) throw businessError(`Server (${serverId}) Does not Exist`)
      // Marked for deletion; the live loop removes them (rows move to accounting).
      await ctx.db.query(`UPDATE kasms SET operational_status = 'admin_delete_pending' WHERE server_id = $1`, [serverId])
      return {}
    },
  },
}
