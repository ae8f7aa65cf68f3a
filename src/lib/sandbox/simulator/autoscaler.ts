import {randomBytes} from 'node:crypto'
import http from 'node:http'
import https from 'node:https'

import {type Queryable, storedColumnsOnly} from './db.js'

/**
 * The autoscaler, one step per live-loop tick (kasm-verified.md §2, autoscale-server-pool.txt):
 * 1. Autoscaled servers in `starting` check in. With require_checkin the simulated VM calls
 *    set_server_status with its JWT at https://{upstream_auth_address}, as Kasm's startup scripts
 *    do; it succeeds only when that address reaches a listening web app, else the server stays
 *    `starting`. Without require_checkin the server is running once it has booted (one tick).
 * 2. Each enabled config scales its pool: below the minimum it creates servers (as `starting`, up to
 *    the VM provider's max_instances); above it, it deletes an idle autoscaled server once the
 *    downscale backoff has passed since it first wanted to (request_downscale_at).
 */

export interface AutoscaleHooks {
  /** The JWT Kasm hands the new VM ({checkin_jwt} in the startup script). */
  checkinJwt(serverId: string): string
  log(line: string): void
}

export interface AutoscaleTickResult {
  created: number
  checkedIn: number
  deleted: number
}

/** A simulated VM's resources when the config sets no agent override (Docker agents). */
const DEFAULT_AGENT = {cores: 4, memory: 8 * 1024 ** 3}
/** Session states that hold an agent's resources (kasm-verified.md §1 "agent capacity"). */
const HOLDING_STATES = ['running', 'starting', 'deleting', 'pausing', 'stopping']
const CHECKIN_TIMEOUT_MS = 1000

type Row = Record<string, unknown>

export async function autoscaleTick(db: Queryable, hooks: AutoscaleHooks): Promise<AutoscaleTickResult> {
  const checkedIn = await checkIns(db, hooks)
  const {rows: configs} = await db.query(
    `SELECT ac.*, vp.max_instances, vp.vm_provider_name, EXTRACT(EPOCH FROM localtimestamp - ac.request_downscale_at)::float AS downscale_wanted_for
       FROM autoscale_configs ac
       JOIN zones z ON z.zone_id = ac.zone_id
       LEFT JOIN vm_provider_configs vp ON vp.vm_provider_config_id = ac.vm_provider_config_id
      WHERE ac.enabled AND ac.server_pool_id IS NOT NULL
      ORDER BY ac.autoscale_config_name`,
  )
  const result = {checkedIn, created: 0, deleted: 0}
  for (const config of configs) {
    const step = config.autoscale_type === 'Server Pool' ? await serverPoolStep(db, config) : await dockerAgentStep(db, config)
    result.created += await provision(db, config, step.missing, hooks)
    result.deleted += await downscale(db, config, step.idleSurplus, hooks)
  }

  return result
}

/** What one config lacks (servers to add) and which idle autoscaled server it could do without. */
interface Step {
  missing: number
  idleSurplus: string | undefined
}

/** Per server: the lower of the sessions and the new users it can still take; starting servers count at full size. */
async function serverPoolStep(db: Queryable, config: Row): Promise<Step> {
  const {rows} = await db.query(
    // s.*: max_simultaneous_users is a 1.19 column, absent (undefined) on older releases.
    `SELECT s.*, count(k.kasm_id)::int AS sessions, count(DISTINCT k.user_id)::int AS users
       FROM servers s LEFT JOIN kasms k ON k.server_id = s.server_id
      WHERE s.server_pool_id = $1 AND s.zone_id = $2 AND s.enabled AND s.operational_status IN ('running', 'starting')
      GROUP BY s.server_id ORDER BY s.created DESC`,
    [config.server_pool_id, config.zone_id],
  )
  const perServer = Math.max(1, Number(config.max_simultaneous_sessions_per_server ?? 1))
  const available = (s: Row) => {
    const sessions = Math.max(0, Number(s.max_simultaneous_sessions ?? perServer) - Number(s.sessions))
    const users = s.max_simultaneous_users === null || s.max_simultaneous_users === undefined ? sessions : Math.max(0, Number(s.max_simultaneous_users) - Number(s.users))
    return Math.min(sessions, users)
  }

  const total = rows.reduce((sum, s) => sum + available(s), 0)
  const minimum = Number(config.minimum_pool_standby_sessions ?? 0)
  const idle = rows.find((s) => s.autoscale_config_id === config.autoscale_config_id && s.operational_status === 'running' && Number(s.sessions) === 0)
  return {
    idleSurplus: idle && total - available(idle) >= minimum ? (idle.server_id as string) : undefined,
    missing: total < minimum ? Math.ceil((minimum - total) / perServer) : 0,
  }
}

/** Free cores/memory/gpus per agent of the zone, summed, against the config's standby capacity. */
async function dockerAgentStep(db: Queryable, config: Row): Promise<Step> {
  const {rows} = await db.query(
    `SELECT s.server_id, s.operational_status, s.autoscale_config_id,
            CASE WHEN s.cores_override > 0 THEN s.cores_override ELSE s.cores END AS cores,
            CASE WHEN s.memory_override_bytes > 0 THEN s.memory_override_bytes ELSE s.memory_bytes END AS memory,
            COALESCE(sum(k.cores), 0)::float AS used_cores, COALESCE(sum(k.memory_bytes), 0)::bigint AS used_memory,
            count(k.kasm_id)::int AS sessions
       FROM servers s LEFT JOIN kasms k ON k.server_id = s.server_id AND k.operational_status = ANY($2::text[])
      WHERE s.server_type = 'host' AND s.zone_id = $1 AND s.enabled AND s.operational_status IN ('running', 'starting')
      GROUP BY s.server_id ORDER BY s.created DESC`,
    [config.zone_id, HOLDING_STATES],
  )
  const free = (s: Row) => ({cores: Math.max(0, Number(s.cores) - Number(s.used_cores)), memory: Math.max(0, Number(s.memory) - Number(s.used_memory))})
  const total = rows.reduce((sum, s) => ({cores: sum.cores + free(s).cores, memory: sum.memory + free(s).memory}), {cores: 0, memory: 0})
  const want = {cores: Number(config.standby_cores ?? 0), memory: Number(config.standby_memory_bytes ?? 0)}
  const size = agentSize(config)
  const short = Math.max(want.cores > total.cores ? (want.cores - total.cores) / size.cores : 0, want.memory > total.memory ? (want.memory - total.memory) / size.memory : 0)
  const idle = rows.find((s) => s.autoscale_config_id === config.autoscale_config_id && s.operational_status === 'running' && Number(s.sessions) === 0)
  const spare = idle && total.cores - free(idle).cores >= want.cores && total.memory - free(idle).memory >= want.memory
  return {idleSurplus: spare ? (idle.server_id as string) : undefined, missing: Math.ceil(short)}
}

function agentSize(config: Row): {cores: number; memory: number} {
  return {
    cores: Number(config.agent_cores_override) > 0 ? Number(config.agent_cores_override) : DEFAULT_AGENT.cores,
    memory: Number(config.agent_memory_override_bytes) > 0 ? Number(config.agent_memory_override_bytes) : DEFAULT_AGENT.memory,
  }
}

/** Creates up to `count` VMs (bounded by the provider's max_instances) that appear as `starting`. */
async function provision(db: Queryable, config: Row, count: number, hooks: AutoscaleHooks): Promise<number> {
  if (count <= 0) return 0
  if (config.max_instances === null || config.max_instances === undefined) {
    hooks.log(`autoscale ${String(config.autoscale_config_name)}: no VM provider, cannot add servers`)
    return 0
  }

  const {rows} = await db.query('SELECT count(*)::int AS n FROM servers WHERE autoscale_config_id = $1', [config.autoscale_config_id])
  const room = Math.max(0, Number(config.max_instances) - Number(rows[0].n))
  const creating = Math.min(count, room)
  const agent = config.autoscale_type !== 'Server Pool'
  const size = agentSize(config)
  for (let i = 0; i < creating; i++) {
    const hostname = `${String(config.autoscale_config_name)}-${randomBytes(3).toString('hex')}`
    const row = await storedColumnsOnly(db, 'servers', {
      autoscale_config_id: config.autoscale_config_id,
      connection_port: agent ? null : config.connection_port,
      connection_type: agent ? null : config.connection_type,
      cores: agent ? size.cores : 0,
      friendly_name: hostname,
      hostname,
      max_simultaneous_sessions: agent ? null : config.max_simultaneous_sessions_per_server,
      max_simultaneous_users: agent ? null : config.max_simultaneous_users ?? null,
      memory_bytes: agent ? size.memory : 0,
      operational_status: 'starting',
      port: agent ? 443 : config.connection_port ?? 443,
      provider: config.vm_provider_name,
      server_pool_id: config.server_pool_id,
      server_type: agent ? 'host' : 'Desktop',
      zone_id: config.zone_id,
    })
    const columns = Object.keys(row)
    await db.query(`INSERT INTO servers (${columns.join(', ')}) VALUES (${columns.map((_, index) => `$${index + 1}`).join(', ')})`, Object.values(row))
  }

  if (creating > 0) {
    await db.query('UPDATE autoscale_configs SET last_provision = localtimestamp WHERE autoscale_config_id = $1', [config.autoscale_config_id])
    hooks.log(`autoscale ${String(config.autoscale_config_name)}: created ${creating} server(s)${creating < count ? ` of ${count} wanted (max_instances ${String(config.max_instances)})` : ''}`)
  }

  return creating
}

/** Deletes the idle server once the backoff has passed since the downscale was first wanted. */
async function downscale(db: Queryable, config: Row, serverId: string | undefined, hooks: AutoscaleHooks): Promise<number> {
  if (!serverId) {
    if (config.request_downscale_at !== null) {
      await db.query('UPDATE autoscale_configs SET request_downscale_at = NULL WHERE autoscale_config_id = $1', [config.autoscale_config_id])
    }

    return 0
  }

  const wantedFor = config.downscale_wanted_for === null ? 0 : Number(config.downscale_wanted_for)
  if (wantedFor < Number(config.downscale_backoff ?? 0)) {
    if (config.request_downscale_at === null) {
      await db.query('UPDATE autoscale_configs SET request_downscale_at = localtimestamp WHERE autoscale_config_id = $1', [config.autoscale_config_id])
    }

    return 0
  }

  await db.query('DELETE FROM servers WHERE server_id = $1', [serverId])
  await db.query('UPDATE autoscale_configs SET request_downscale_at = NULL WHERE autoscale_config_id = $1', [config.autoscale_config_id])
  hooks.log(`autoscale ${String(config.autoscale_config_name)}: deleted idle server ${serverId} (backoff ${String(config.downscale_backoff)} s passed)`)
  return 1
}

/** Starting autoscaled servers check in (or boot, without require_checkin). */
async function checkIns(db: Queryable, hooks: AutoscaleHooks): Promise<number> {
  const {rows} = await db.query(
    `SELECT s.server_id, s.hostname, ac.require_checkin, z.upstream_auth_address
       FROM servers s
       JOIN autoscale_configs ac ON ac.autoscale_config_id = s.autoscale_config_id
       JOIN zones z ON z.zone_id = s.zone_id
      WHERE s.operational_status = 'starting'`,
  )
  let done = 0
  for (const server of rows) {
    if (!server.require_checkin) {
      await db.query(`UPDATE servers SET operational_status = 'running', last_reported = localtimestamp WHERE server_id = $1`, [server.server_id])
      done++
      continue
    }

    const url = checkinUrl(String(server.upstream_auth_address))
    if (url && (await postCheckin(url, hooks.checkinJwt(server.server_id as string)))) done++
    else hooks.log(`autoscale: ${String(server.hostname)} cannot reach upstream auth address "${String(server.upstream_auth_address)}": stays starting`)
  }

  return done
}

/**
 * Where the VM sends set_server_status. The sandbox has no network: only loopback addresses can
 * answer (a sandbox web app or proxy); "$request_host$" means nothing to a new VM. The web apps
 * listen on plain HTTP, so an address without a scheme is tried over http.
 */
export function checkinUrl(address: string): string | undefined {
  const withScheme = /^https?:\/\//i.test(address) ? address : `http://${address}`
  try {
    const url = new URL('/api/set_server_status', withScheme)
    return ['127.0.0.1', 'localhost', '[::1]'].includes(url.hostname) ? url.toString() : undefined
  } catch {
    return undefined
  }
}

/** The startup script's call (curl -k): true when Kasm accepted the check-in. */
async function postCheckin(url: string, token: string): Promise<boolean> {
  const body = JSON.stringify({status: 'running', status_message: 'Initialization Complete', status_progress: '100'})
  const target = new URL(url)
  target.searchParams.set('token', token)
  const transport = target.protocol === 'https:' ? https : http
  return new Promise((resolve) => {
    const request = transport.request(
      target,
      {headers: {'Content-Length': Buffer.byteLength(body), 'Content-Type': 'application/json'}, method: 'POST', rejectUnauthorized: false, timeout: CHECKIN_TIMEOUT_MS},
      (response) => {
        let text = ''
        response.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        response.on('end', () => resolve(response.statusCode === 200 && /"status"/.test(text)))
      },
    )
    request.on('timeout', () => request.destroy())
    request.on('error', () => resolve(false))
    request.end(body)
  })
}
