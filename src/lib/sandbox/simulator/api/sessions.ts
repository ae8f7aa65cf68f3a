import {randomBytes, randomUUID} from 'node:crypto'

import {asUuid, kasmNow, transaction} from '../db.js'
import {businessError, statusError, unhandled} from '../http.js'
import {archiveKasms, DELETE_STATES} from '../live.js'
import {type AgentCapacity, chooseAgent} from '../../../capacity/index.js'
import {candidateAgents} from '../placement.js'
import {KASM_SELECT, kasmJson} from '../views.js'
import type {ApiContext, Endpoint, Row} from './context.js'

const USERS_AUTH_SESSION = 352
const SESSIONS_DELETE = 803

/** Kasm's answer when no agent can take the session. */
export const NO_RESOURCES = 'No resources are available to create the requested Kasm. Please try again later or contact an Administrator'

const DEFAULT_SESSION_SECONDS = 3600

/** Sending user_id acts as that user: the key needs USERS_AUTH_SESSION, and the user must exist. */
async function actingUser(ctx: ApiContext): Promise<string | undefined> {
  if (ctx.body.user_id === undefined || ctx.body.user_id === null) return undefined
  if (!ctx.key.has(USERS_AUTH_SESSION)) {
    throw statusError(401, `API Key (${ctx.key.name}) is not authorized to impersonate a user.`)
  }

  const userId = asUuid(ctx.body.user_id)
  const {rowCount} = userId ? await ctx.db.query('SELECT 1 FROM users WHERE user_id = $1', [userId]) : {rowCount: 0}
  if (!userId || !rowCount) throw statusError(400, `Invalid user_id (${String(ctx.body.user_id)})`)
  return userId
}

/** The body's kasm_id, checked as Kasm's decorator does (400 when unknown). */
async function bodyKasm(ctx: ApiContext): Promise<Row> {
  if (ctx.body.kasm_id === undefined || ctx.body.kasm_id === null) throw statusError(400, 'Invalid Request')
  const kasmId = asUuid(ctx.body.kasm_id)
  const {rows} = kasmId ? await ctx.db.query('SELECT kasm_id, user_id, operational_status FROM kasms WHERE kasm_id = $1', [kasmId]) : {rows: []}
  if (rows.length === 0) throw statusError(400, `Invalid kasm_id (${String(ctx.body.kasm_id)})`)
  return rows[0]
}

interface Placement {
  image: Row
  user: Row
}

async function placeSession(ctx: ApiContext, {image, user}: Placement): Promise<Row> {
  const kasmId = await transaction(ctx.db, async (client) => {
    // One placement at a time, so that two requests never both take an agent's last free cores.
    await client.query('SELECT pg_advisory_xact_lock(8150)')
    const zones = await client.query('SELECT zone_id, zone_name, load_strategy, prioritize_static_agents, search_alternate_zones FROM zones ORDER BY zone_name')
    const agents = await candidateAgents(client, ctx.checkinWindowMs)
    // Kasm resolves the web app's server.zone_name at request time; a renamed zone is not found.
    const home = zones.rows.find((z) => z.zone_name === ctx.zoneName)
    if (!home) throw unhandled()
    const order = home.search_alternate_zones ? [home, ...zones.rows.filter((z) => z !== home)] : [home]
    const allowed = image.restrict_to_zone && image.zone_id ? order.filter((z) => z.zone_id === image.zone_id) : order
    const size = {cores: Number(image.cores), gpus: Number(image.gpus ?? 0), memory: Number(image.memory_bytes)}
    const policy = {loadStrategy: home.load_strategy, prioritizeStatic: home.prioritize_static_agents}
    let agent: AgentCapacity | undefined
    for (const zone of allowed) {
      agent = chooseAgent(
        agents.filter((a) => a.zoneId === zone.zone_id),
        {size},
        policy,
      )
      if (agent) break
    }

    if (!agent) throw businessError(NO_RESOURCES)
    const id = randomUUID().replaceAll('-', '')
    const seconds = Number(image.session_time_limit) > 0 ? Number(image.session_time_limit) : DEFAULT_SESSION_SECONDS
    await client.query(
      `INSERT INTO kasms (kasm_id, user_id, image_id, server_id, operational_status, created_date, start_date,
                          keepalive_date, expiration_date, container_id, container_ip, hostname, cores, memory_bytes, gpus)
       VALUES ($1, $2, $3, $4, 'running', localtimestamp, localtimestamp, localtimestamp,
               localtimestamp + make_interval(secs => $5), $6, $7, $8, $9, $10, $11)`,
      [
        id,
        user.user_id,
        image.image_id,
        agent.serverId,
        seconds,
        randomBytes(32).toString('hex'),
        `172.18.${1 + Math.floor(Math.random() * 250)}.${2 + Math.floor(Math.random() * 250)}`,
        agent.hostname,
        image.cores,
        image.memory_bytes,
        image.gpus ?? 0,
      ],
    )
    return id
  })
  const sessionToken = randomUUID()
  return {
    kasm_id: kasmId,
    kasm_url: `/#/connect/kasm/${kasmId}/${user.user_id}/${sessionToken}`,
    session_token: sessionToken,
    share_id: null,
    status: 'running',
    user_id: user.user_id,
    username: user.username,
  }
}

export const sessionEndpoints: Record<string, Endpoint> = {
  get_kasms: {
    permissions: [800],
    write: false,
    async handle(ctx) {
      const {rows} = await ctx.db.query(`${KASM_SELECT} ORDER BY k.created_date, k.kasm_id`)
      return {current_time: kasmNow(), kasms: rows.map((r) => kasmJson(r, ctx.version, ctx.requestHost))}
    },
  },

  get_kasm: {
    permissions: [800],
    write: false,
    async handle(ctx) {
      const input = ctx.body.target_kasm as Row | undefined
      if (!input || typeof input !== 'object') throw businessError('Invalid Request: Missing required parameters')
      const kasmId = asUuid(input.kasm_id)
      const {rows} = kasmId ? await ctx.db.query(`${KASM_SELECT} WHERE k.kasm_id = $1`, [kasmId]) : {rows: []}
      if (rows.length === 0) throw businessError('Could not find requested Kasm.')
      return {current_time: kasmNow(), kasm: kasmJson(rows[0], ctx.version, ctx.requestHost)}
    },
  },

  destroy_kasm: {
    // USER (100) at the gate (GLOBAL_ADMIN does not imply it); user_id adds USERS_AUTH_SESSION (352);
    // then the acting user must own the session, or the key needs SESSIONS_DELETE (kasm-verified.md §1).
    permissions: [100],
    write: true,
    async handle(ctx) {
      const userId = await actingUser(ctx)
      const kasm = await bodyKasm(ctx)
      const owner = userId !== undefined && kasm.user_id === userId
      if (!owner && !ctx.key.has(SESSIONS_DELETE)) throw businessError('Unauthorized attempt to delete session')
      // Acting as the owner is the owner's own destroy in Kasm's accounting, whatever the key may do.
      const reason = owner ? 'user_destroyed' : 'admin_destroyed'
      const destroyed = await archiveKasms(ctx.db, 'k.kasm_id = $1', [kasm.kasm_id, reason], '$2::text')
      if (destroyed === 0) throw businessError('Destroy Error')
      return {}
    },
  },

  request_kasm: {
    permissions: [100],
    write: true,
    async handle(ctx) {
      const userId = await actingUser(ctx)
      const imageId = asUuid(ctx.body.image_id)
      if (!userId || ctx.body.image_id === undefined) throw businessError('Invalid Request: Missing required parameters')
      const [users, images] = await Promise.all([
        ctx.db.query('SELECT user_id, username FROM users WHERE user_id = $1', [userId]),
        imageId ? ctx.db.query('SELECT * FROM images WHERE image_id = $1 AND enabled', [imageId]) : {rows: []},
      ])
      if (images.rows.length === 0) throw businessError(`Image (${String(ctx.body.image_id)}) Does not Exist`)
      return placeSession(ctx, {image: images.rows[0], user: users.rows[0]})
    },
  },

  keepalive: {
    permissions: [801],
    write: true,
    async handle(ctx) {
      const kasm = await bodyKasm(ctx)
      if (DELETE_STATES.includes(kasm.operational_status as string)) {
        throw businessError('Kasm is currently scheduled to be deleted. Can not honor keepalive request')
      }

      await ctx.db.query(
        `UPDATE kasms SET keepalive_date = localtimestamp,
                expiration_date = GREATEST(expiration_date, localtimestamp + make_interval(secs => $2))
          WHERE kasm_id = $1`,
        [kasm.kasm_id, DEFAULT_SESSION_SECONDS],
      )
      return {usage_reached: false}
    },
  },
}
