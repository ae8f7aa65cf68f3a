import {ZONE_TOTAL_STATES} from '../../../capacity/model.js'
import {asUuid, type Queryable, storedColumnsOnly} from '../db.js'
import {businessError} from '../http.js'
import {capacity, loadManagers, loadServers, managerJson} from '../views.js'
import {type ApiContext, type Endpoint, type Row, target, typed, write} from './context.js'

/** Every documented spelling: 1.15 UI/DB values, and the HELM preseed's session-named variants. */
export const LOAD_STRATEGIES = ['least_load', 'most_load', 'least_kasms', 'most_kasms', 'fewest_sessions', 'most_sessions']

/**
 * Settable zone fields and their types; defaults are the schema's (kasm-api.md §5.1). A release
 * without a field's column (1.15: none of the 7 RDP fields, 1.16: only proxy_rdp_client_connections)
 * accepts it and drops it (kasm-verified.md §1), so get_zones never returns it.
 */
const ZONE_FIELDS = {
  allow_origin_domain: 'string',
  enable_rdp_direct_login: 'boolean',
  enable_rdp_https_gw: 'boolean',
  enable_rdp_https_gw_dlp: 'boolean',
  load_strategy: 'string',
  prioritize_static_agents: 'boolean',
  proxy_connections: 'boolean',
  proxy_hostname: 'string',
  proxy_path: 'string',
  proxy_port: 'integer',
  proxy_rdp_client_connections: 'boolean',
  proxy_rdp_hostname: 'string',
  proxy_rdp_port: 'integer',
  search_alternate_zones: 'boolean',
  upstream_auth_address: 'string',
  verify_rdp_client_ip: 'boolean',
  zone_name: 'string',
} as const

/** The given (non-null) zone fields this release stores, type-checked; unknown keys (legacy aws_* etc.) are ignored as in 1.15. */
async function zoneChanges(db: Queryable, input: Row): Promise<Row> {
  const changes: Row = {}
  for (const [field, kind] of Object.entries(ZONE_FIELDS)) {
    const value = typed(input[field], kind)
    if (value !== undefined) changes[field] = value
  }

  if (changes.load_strategy !== undefined && !LOAD_STRATEGIES.includes(changes.load_strategy as string)) {
    throw businessError(`Invalid Request: load_strategy must be one of ${LOAD_STRATEGIES.join(', ')}`)
  }

  if (input.primary_manager_id !== undefined) {
    const id = input.primary_manager_id === null || input.primary_manager_id === '' ? null : asUuid(input.primary_manager_id)
    if (id === undefined) throw businessError('Invalid Request: manager_id must be a uuid')
    changes.primary_manager_id = id
  }

  return storedColumnsOnly(db, 'zones', changes)
}


export async function loadZones(db: Queryable, ctx: Pick<ApiContext, 'version'>, options: {brief?: boolean; zoneId?: string} = {}): Promise<Row[]> {
  const managersLoaded = loadManagers(db)
  const [zones, servers, managers, used] = await Promise.all([
    db.query(`SELECT * FROM zones ${options.zoneId ? 'WHERE zone_id = $1' : ''} ORDER BY zone_name`, options.zoneId ? [options.zoneId] : []),
    loadServers(db, ctx.version, undefined, managersLoaded),
    managersLoaded,
    // Zone totals subtract running, saving and starting sessions (kasm-verified.md §1), not the per-agent set.
    db.query(
      `SELECT server_id, sum(cores) AS cores, sum(memory_bytes)::bigint AS memory, sum(gpus)::int AS gpus
         FROM kasms WHERE operational_status = ANY($1) GROUP BY server_id`,
      [ZONE_TOTAL_STATES],
    ),
  ])
  const usedBy = new Map(used.rows.map((r) => [r.server_id as string, r]))
  const now = Date.now()
  return zones.rows.map((zone) => {
    const inZone = servers.filter((s) => s.zone_id === zone.zone_id)
    const agents = inZone.filter((s) => s.server_type === 'host' && s.enabled)
    const free = (max: (s: Row) => number, key: 'cores' | 'gpus' | 'memory') =>
      agents.reduce((sum, s) => sum + Math.max(0, max(s) - Number(usedBy.get(s.server_id as string)?.[key] ?? 0)), 0)
    const maxCores = (s: Row) => (s.core_calculations as {max: number}).max
    const maxMemory = (s: Row) => (s.memory_calculations as {max: number}).max
    // A server's JSON keeps gpus_override and docker_info, which is all capacity() reads for gpus.
    const maxGpus = (s: Row) => capacity(s).gpus
    const primary = managers.find((m) => m.manager_id === zone.primary_manager_id)
    return {
      ...zone,
      available_cores: free(maxCores, 'cores'),
      available_gpus: free(maxGpus, 'gpus'),
      available_memory: free(maxMemory, 'memory'),
      managers: managers
        .filter((m) => m.zone_id === zone.zone_id)
        .map((m) => ({manager_hostname: m.manager_hostname, manager_id: m.manager_id})),
      num_kasms: inZone.reduce((sum, s) => sum + (s.kasms as unknown[]).length, 0),
      primary_manager: primary ? managerJson(primary, now) : null,
      ...(options.brief ? {} : {servers: inZone}),
    }
  })
}

export const zoneEndpoints: Record<string, Endpoint> = {
  get_zones: {
    permissions: [1900],
    write: false,
    async handle(ctx) {
      return {zones: await loadZones(ctx.db, ctx, {brief: ctx.body.brief === true})}
    },
  },

  create_zone: {
    permissions: [1902],
    write: true,
    async handle(ctx) {
      const changes = await zoneChanges(ctx.db, target(ctx.body, 'zone'))
      if (!changes.zone_name) throw businessError('Invalid Request: Missing required parameters')
      const columns = Object.keys(changes)
      const {rows} = await write(() =>
        ctx.db.query(
          `INSERT INTO zones (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})
           ON CONFLICT (zone_name) DO NOTHING RETURNING zone_id`,
          Object.values(changes),
        ),
      )
      if (rows.length === 0) throw businessError(`Zone (${changes.zone_name}) already exists`)
      const [zone] = await loadZones(ctx.db, ctx, {zoneId: rows[0].zone_id as string})
      return {zone}
    },
  },

  update_zone: {
    permissions: [1901],
    write: true,
    async handle(ctx) {
      const input = target(ctx.body, 'zone')
      const zoneId = asUuid(input.zone_id)
      if (!zoneId) throw businessError('Invalid Request. zone_id must be a uuid')
      const changes = await zoneChanges(ctx.db, input)
      const columns = Object.keys(changes)
      const sets = columns.map((c, i) => `${c} = $${i + 2}`)
      const {rows} = await write(() =>
        ctx.db.query(
          `UPDATE zones SET ${sets.length > 0 ? sets.join(', ') : 'zone_id = zone_id'} WHERE zone_id = $1 RETURNING zone_id`,
          [zoneId, ...Object.values(changes)],
        ),
      )
      if (rows.length === 0) throw businessError('Invalid Request. Zone does not exit by that id')
      const [zone] = await loadZones(ctx.db, ctx, {zoneId})
      return {zone}
    },
  },

  delete_zone: {
    permissions: [1903],
    write: true,
    async handle(ctx) {
      const input = target(ctx.body, 'zone')
      const zoneId = asUuid(input.zone_id)
      // Kasm's own message names the wrong field here.
      if (!zoneId) throw businessError('Invalid Request: manager_id must be a uuid')
      const {rows} = await ctx.db.query<{managers: number; servers: number; zone_name: string}>(
        `SELECT zone_name,
                (SELECT count(*)::int FROM managers m WHERE m.zone_id = z.zone_id) AS managers,
                (SELECT count(*)::int FROM servers s WHERE s.zone_id = z.zone_id) AS servers
           FROM zones z WHERE zone_id = $1`,
        [zoneId],
      )
      const zone = rows[0]
      if (!zone) throw businessError(`Zone (${zoneId}) Does not Exist`)
      for (const what of ['managers', 'servers'] as const) {
        if (zone[what] > 0) {
          throw businessError(`Zone (${zoneId}): (${zone.zone_name}) is in use by (${zone[what]}) ${what} and cannot be deleted`)
        }
      }

      await write(() => ctx.db.query('DELETE FROM zones WHERE zone_id = $1', [zoneId]))
      return {}
    },
  },
}
