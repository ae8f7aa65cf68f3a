import {resolveAgent, resolveZone} from '../agents/resolve.js'
import type {KasmClient} from '../kasm/client.js'
import {sameId} from '../kasm/ids.js'
import {parseKasmDate} from '../kasm/normalize.js'
import type {Kasm, Server} from '../kasm/types.js'
import {compareNames} from '../text.js'
import {resolveRef} from '../zones/resolve.js'

/** One session as kasmctl shows it (`session list --json` items, docs/json.md). Dates are ISO 8601 UTC. */
export interface SessionView {
  kasm_id: string
  user_id: null | string
  username: null | string
  /** The agent running it. */
  server_id: null | string
  hostname: null | string
  zone_name: null | string
  image: null | string
  operational_status: string
  cores: null | number
  /** Bytes. */
  memory: null | number
  created_date: null | string
  start_date: null | string
  keepalive_date: null | string
  expiration_date: null | string
  /** Since start (or creation), by the Kasm server's clock. */
  age_seconds: null | number
  /** Until expiration_date; negative when overdue. */
  expires_in_seconds: null | number
}

export function toSessionView(kasm: Kasm, servers: readonly Server[], now: Date): SessionView {
  const agent = servers.find((s) => sameId(s.server_id, kasm.server_id))
  const started = parseKasmDate(kasm.start_date) ?? parseKasmDate(kasm.created_date)
  const expires = parseKasmDate(kasm.expiration_date)
  return {
    kasm_id: kasm.kasm_id,
    user_id: kasm.user_id ?? null,
    username: kasm.user?.username ?? null,
    server_id: kasm.server_id ?? null,
    hostname: agent?.hostname ?? kasm.server?.hostname ?? null,
    zone_name: agent?.zone_name ?? kasm.server?.zone_name ?? null,
    image: kasm.image?.friendly_name ?? kasm.image?.name ?? null,
    operational_status: kasm.operational_status,
    cores: kasm.cores ?? null,
    memory: kasm.memory ?? null,
    created_date: iso(kasm.created_date),
    start_date: iso(kasm.start_date),
    keepalive_date: iso(kasm.keepalive_date),
    expiration_date: iso(kasm.expiration_date),
    age_seconds: started ? Math.round((now.getTime() - started.getTime()) / 1000) : null,
    expires_in_seconds: expires ? Math.round((expires.getTime() - now.getTime()) / 1000) : null,
  }
}

/** The Kasm server's clock when it answered, so ages do not depend on the local clock. */
export function serverNow(currentTime: string | undefined): Date {
  return parseKasmDate(currentTime) ?? new Date()
}

export interface SessionFilter {
  agent?: string
  zone?: string
  /** Username (case-insensitive) or user id. */
  user?: string
}

/** Sessions, filtered client-side (get_kasms has no server-side filter), by agent then oldest first. */
export async function listSessions(client: KasmClient, filter: SessionFilter = {}): Promise<SessionView[]> {
  const [servers, {currentTime, kasms}, zones] = await Promise.all([
    client.getServers(),
    client.getKasms(),
    filter.zone ? client.getZones({brief: true}) : Promise.resolve([]),
  ])
  const agent = filter.agent ? resolveAgent(servers, filter.agent) : undefined
  const zone = filter.zone ? resolveZone(zones, filter.zone) : undefined
  const user = filter.user?.trim().toLowerCase()
  const now = serverNow(currentTime)
  return kasms
    .map((k) => toSessionView(k, servers, now))
    .filter((s) => !agent || sameId(s.server_id, agent.server_id))
    .filter((s) => !zone || s.zone_name === zone.zone_name)
    .filter((s) => !user || s.username?.toLowerCase() === user || sameId(s.user_id, user))
    .sort((a, b) => compareNames(a.hostname ?? '', b.hostname ?? '') || (b.age_seconds ?? 0) - (a.age_seconds ?? 0))
}

/** Each id may be a full id (dashes allowed) or a unique prefix of at least 4 characters, as `session list` shows them. */
export function resolveSessions(kasms: readonly Kasm[], ids: readonly string[]): Kasm[] {
  const found = ids.map((id) => resolveRef(kasms, id, {id: (k) => k.kasm_id, name: (k) => k.kasm_id, what: 'session'}))
  return [...new Map(found.map((k) => [k.kasm_id, k])).values()]
}

export interface DestroyOutcome {
  kasm_id: string
  username: null | string
  hostname: null | string
  destroyed: boolean
  error?: string
}

/**
 * destroy_kasm for each session, with its owner's user_id so that Kasm records the user's own destroy;
 * a session without an owner (staged) goes without, which Kasm allows a key with SESSIONS_DELETE 803
 * (kasm-verified.md §1). Failures are collected, not thrown, so that one bad session does not keep the others alive.
 */
export async function destroySessions(client: KasmClient, kasms: readonly Kasm[], servers: readonly Server[] = []): Promise<DestroyOutcome[]> {
  const outcomes: DestroyOutcome[] = []
  for (const kasm of kasms) {
    const view = toSessionView(kasm, servers, new Date())
    const base = {hostname: view.hostname, kasm_id: kasm.kasm_id, username: view.username}
    try {
      await client.destroyKasm(kasm.kasm_id, kasm.user_id)
      outcomes.push({...base, destroyed: true})
    } catch (error) {
      outcomes.push({...base, destroyed: false, error: (error as Error).message})
    }
  }

  return outcomes
}

/**
 * destroy_agent_kasms: one admin call that marks every session of the agent admin_delete_pending
 * (SESSIONS_DELETE 803); Kasm's audit trail shows an admin action, not users' own destroys. The
 * outcome is the call's, for each of the sessions that were on the agent.
 */
export async function destroyAgentSessions(client: KasmClient, serverId: string, kasms: readonly Kasm[]): Promise<DestroyOutcome[]> {
  const error = await client.destroyAgentKasms(serverId).then(
    () => undefined,
    (failure: Error) => failure.message,
  )
  return kasms.map((kasm) => {
    const view = toSessionView(kasm, [], new Date())
    return {destroyed: error === undefined, hostname: view.hostname, kasm_id: kasm.kasm_id, username: view.username, ...(error === undefined ? {} : {error})}
  })
}

function iso(value: null | string | undefined): null | string {
  return parseKasmDate(value)?.toISOString() ?? null
}
