import {setTimeout as sleep} from 'node:timers/promises'

import type {ContextConfig} from '../config/types.js'
import {AuthError, KasmApiError, LicenseError, UnavailableError} from '../errors.js'
import {normalizeId} from './ids.js'
import {normalizeImage, normalizeKasm, normalizeServer, normalizeZone} from './normalize.js'
import {takeEarlyAnswer} from './early-answers.js'
import {ENDPOINTS, describeEndpointNeeds, describePermissions} from './permissions.js'
import {type Body, clientOptionsFromContext, DEFAULT_TIMEOUT_MS, kasmBaseUrl, type KasmClientOptions, prepareRequest, type PreparedRequest} from './request.js'
import {HttpTransport, type HttpResponse, NetworkError} from './transport.js'
import type {AutoscaleSchedule, ConnectionProxy, HealthcheckResult, Image, Kasm, Manager, RawAutoscaleConfig, Server, ServerPool, ServerType, Setting, Zone, ZoneSettings} from './types.js'

const RETRYABLE_STATUS = new Set([429, 502, 503, 504])

const AGENTS_VIEW = 500
/** get_zones totals of the zone's agents: more than 0 means the zone has agents. */
const ZONE_CAPACITY_FIELDS = ['available_cores', 'available_memory', 'available_gpus'] as const

/** update_server fields Kasm writes as false when a Desktop update omits them. */
const DESKTOP_RESET_FIELDS = ['use_user_private_key', 'agent_installed'] as const

/**
 * The one client for Kasm's RPC-style API (kasm-api.md). Calls go to /api/public/<method>.
 * Business errors arrive as HTTP 200 + error_message and are raised as KasmApiError.
 */
export class KasmClient {
  readonly baseUrl: string
  private transport?: HttpTransport
  private readonly options: KasmClientOptions

  constructor(options: KasmClientOptions) {
    this.options = options
    this.baseUrl = kasmBaseUrl(options.url)
  }

  /** Builds a client from a context: resolves the secret reference and reads the CA file. */
  static async fromContext(context: ContextConfig, extra: Partial<KasmClientOptions> = {}): Promise<KasmClient> {
    return new KasmClient({...(await clientOptionsFromContext(context)), ...extra})
  }

  /** Calls /api/public/<method>. Reads are retried with backoff on network errors and 502/503/504. */
  async call<T extends Body = Body>(method: string, body: Body = {}): Promise<T> {
    const http = this.http()
    const write = ENDPOINTS[method]?.write ?? true
    const attempts = write ? 1 : 1 + (this.options.retries ?? 2)
    const request = this.prepared(method, body)
    const {url} = request
    let lastError: unknown
    for (let attempt = 1; attempt <= attempts; attempt++) {
      const started = Date.now()
      try {
        // A read asked while kasmctl started (early-read.ts) is answered by then, or soon; without an answer the client asks itself.
        const early = attempt === 1 && !write ? await takeEarlyAnswer(request.key) : undefined
        if (early && 'failure' in early) throw new NetworkError(early.failure.message, early.failure.code)
        if (early) http.route(new URL(url))
        const response = early ?? (await http.request('POST', url, request.body, request.headers))
        this.options.debug?.(`POST ${url} -> HTTP ${response.status} (${early ? 'asked early, ' : ''}${Date.now() - started} ms)`)
        if (RETRYABLE_STATUS.has(response.status) && attempt < attempts) {
          lastError = response
          await sleep(this.backoff(attempt))
          continue
        }

        return this.interpret<T>(method, url, response)
      } catch (error) {
        if (!(error instanceof NetworkError)) throw error
        this.options.debug?.(`POST ${url} -> ${error.code}`)
        lastError = error
        if (attempt < attempts) await sleep(this.backoff(attempt))
      }
    }

    if (lastError instanceof NetworkError) throw networkError(url, lastError)
    return this.interpret<T>(method, url, lastError as HttpResponse)
  }

  /** A call's URL, body and headers, and the key that recognises an answer asked early (early-read.ts). */
  prepared(method: string, body: Body = {}): PreparedRequest {
    return prepareRequest(this.options, method, body)
  }

  /** Closes kept-alive connections so the process can exit at once. */
  close(): void {
    this.transport?.close()
  }

  // Zones

  async getZones(options: {brief?: boolean} = {}): Promise<Zone[]> {
    const {zones} = await this.call<{zones: Body[]}>('get_zones', options.brief ? {brief: true} : {})
    return (zones ?? []).map((zone) => normalizeZone(zone))
  }

  async createZone(zone: Partial<ZoneSettings> & {zone_name: string}): Promise<Zone> {
    const {zone: created} = await this.call<{zone: Body}>('create_zone', {target_zone: zone})
    return normalizeZone(created)
  }

  async updateZone(zoneId: string, patch: Partial<ZoneSettings> & {zone_name?: string}): Promise<Zone> {
    const {zone} = await this.call<{zone: Body}>('update_zone', {target_zone: {...patch, zone_id: zoneId}})
    return normalizeZone(zone)
  }

  async deleteZone(zoneId: string): Promise<void> {
    await this.call('delete_zone', {target_zone: {zone_id: zoneId}})
  }

  // Servers (Docker agents are server_type "host")

  /**
   * All servers the key may see. Kasm returns Docker agents only to a key with AGENTS_VIEW (500),
   * and an empty list (no error) to one without (kasm-verified.md §1): when no agent comes back,
   * managers and zones are asked whether agents exist, so that a missing permission is never
   * reported as "no agents".
   */
  async getServers(): Promise<Server[]> {
    const {servers} = await this.call<{servers: Body[]}>('get_servers')
    const list = (servers ?? []).map((s) => normalizeServer(s))
    if (!list.some((s) => s.server_type === 'host')) await this.ensureAgentsVisible(list)
    return list
  }

  async getServer(serverId: string): Promise<Server> {
    const {servers} = await this.call<{servers: Body[]}>('get_servers', {target_server: {server_id: serverId}})
    const server = servers?.[0]
    if (!server) throw new KasmApiError(`Kasm returned no server for id ${serverId}`, 'no server')
    return normalizeServer(server)
  }

  /**
   * Partial update. Kasm refuses update_server without server_type (401 "Unauthorized Action"). On a
   * Desktop server Kasm resets an omitted use_user_private_key / agent_installed to false
   * (kasm-verified.md §1), so their current values are sent along.
   */
  async updateServer(serverId: string, serverType: ServerType | string, patch: Body): Promise<Server> {
    const kept: Body = {}
    if (serverType === 'Desktop' && DESKTOP_RESET_FIELDS.some((field) => patch[field] === undefined)) {
      const current = await this.getServer(serverId)
      for (const field of DESKTOP_RESET_FIELDS) kept[field] = current[field] === true
    }

    const {server} = await this.call<{server: Body}>('update_server', {
      target_server: {...kept, ...patch, server_id: serverId, server_type: serverType},
    })
    return normalizeServer(server ?? {server_id: serverId})
  }

  async getManagers(): Promise<Manager[]> {
    const {managers} = await this.call<{managers: Manager[]}>('get_managers')
    return (managers ?? []).map((m) => ({...m, manager_id: normalizeId(m.manager_id), zone_id: normalizeId(m.zone_id)}))
  }

  async getConnectionProxies(): Promise<ConnectionProxy[]> {
    const {connection_proxies: proxies} = await this.call<{connection_proxies: ConnectionProxy[]}>('get_connection_proxies')
    return (proxies ?? []).map((p) => ({...p, connection_proxy_id: normalizeId(p.connection_proxy_id), zone_id: normalizeId(p.zone_id)}))
  }

  // Sessions (kasms)

  async getKasms(): Promise<{currentTime?: string; kasms: Kasm[]}> {
    const {current_time: currentTime, kasms} = await this.call<{current_time?: string; kasms: Body[]}>('get_kasms')
    return {currentTime, kasms: (kasms ?? []).map((k) => normalizeKasm(k))}
  }

  async getKasm(kasmId: string): Promise<Kasm> {
    const {kasm} = await this.call<{kasm: Body}>('get_kasm', {target_kasm: {kasm_id: kasmId}})
    return normalizeKasm(kasm)
  }

  /**
   * destroy_kasm with the owner's user_id: Kasm acts as that user and records the destroy as the
   * user's own (user_destroyed). Needs USER 100 and USERS_AUTH_SESSION 352 (kasm-verified.md §1).
   * A session without an owner (a staged one) is sent without user_id: Kasm then needs SESSIONS_DELETE 803.
   */
  async destroyKasm(kasmId: string, userId?: null | string): Promise<void> {
    await this.call('destroy_kasm', userId ? {kasm_id: kasmId, user_id: userId} : {kasm_id: kasmId})
  }

  /** destroy_agent_kasms (SESSIONS_DELETE 803): Kasm marks every session of the agent admin_delete_pending, an admin action. */
  async destroyAgentKasms(serverId: string): Promise<void> {
    await this.call('destroy_agent_kasms', {target_server: {server_id: serverId}})
  }

  async requestKasm(request: {image_id: string; user_id: string} & Body): Promise<{kasm_id: string; status?: string} & Body> {
    const result = await this.call<{kasm_id: string} & Body>('request_kasm', request)
    return {...result, kasm_id: normalizeId(result.kasm_id)}
  }

  async keepalive(kasmId: string): Promise<Body> {
    return this.call('keepalive', {kasm_id: kasmId})
  }

  // Images

  /** Workspace images (permission 900), sizes normalised across versions (normalizeImage). */
  async getImages(): Promise<Image[]> {
    const {images} = await this.call<{images: Body[]}>('get_images')
    return (images ?? []).map((i) => normalizeImage(i))
  }

  // Settings and logs

  async getSettings(): Promise<Setting[]> {
    const {settings} = await this.call<{settings: Setting[]}>('get_settings')
    return settings ?? []
  }

  /** Kasm stores every setting value as a string; numbers must be sent as strings. */
  async updateSetting(settingId: string, value: string): Promise<void> {
    await this.call('update_setting', {setting_id: settingId, value})
  }

  async getReport(request: Body): Promise<Body[]> {
    const {data} = await this.call<{data?: Body[]}>('get_report', request)
    return data ?? []
  }

  // Server pools and AutoScale (kasm-verified.md §2). Kasm answers 403 "Access Denied. Auto Scaling is not licensed" without the licence.

  async getServerPools(): Promise<ServerPool[]> {
    const {server_pools: pools} = await this.call<{server_pools: ServerPool[]}>('get_server_pools')
    return (pools ?? []).map((pool) => ({
      ...pool,
      autoscale_configs: (pool.autoscale_configs ?? []).map((c) => ({...c, autoscale_config_id: normalizeId(c.autoscale_config_id)})),
      server_pool_id: normalizeId(pool.server_pool_id),
      servers: (pool.servers ?? []).map((server) => ({...server, server_id: normalizeId(server.server_id)})),
    }))
  }

  /** As Kasm sends them (1.15 or 1.19 field names), ids normalised: src/lib/autoscale/fields.ts reads both forms. */
  async getAutoscaleConfigs(): Promise<RawAutoscaleConfig[]> {
    const {autoscale_configs: configs} = await this.call<{autoscale_configs: RawAutoscaleConfig[]}>('get_autoscale_configs')
    return (configs ?? []).map((config) => normalizeAutoscaleIds(config))
  }

  /** Sends the whole config, as the admin UI does: whether Kasm's update is partial is unverified. */
  async updateAutoscaleConfig(config: RawAutoscaleConfig): Promise<RawAutoscaleConfig> {
    const {autoscale_config: updated} = await this.call<{autoscale_config: RawAutoscaleConfig}>('update_autoscale_config', {target_autoscale_config: config})
    return normalizeAutoscaleIds(updated)
  }

  async getSchedules(autoscaleConfigId: string): Promise<AutoscaleSchedule[]> {
    const {schedules} = await this.call<{schedules: AutoscaleSchedule[]}>('get_schedules', {target_autoscale_config_id: autoscaleConfigId})
    return schedules ?? []
  }

  /** GET /api/__healthcheck (no auth). Never throws: failures come back in the result. */
  async healthcheck(baseUrl = this.baseUrl): Promise<HealthcheckResult> {
    const http = this.http()
    const url = `${baseUrl.replace(/\/+$/, '').replace(/\/api$/, '')}/api/__healthcheck`
    const started = performance.now()
    try {
      const response = await http.request('GET', url)
      const {body} = response
      let ok = false
      try {
        ok = response.status === 200 && JSON.parse(body)?.ok === true
      } catch {
        ok = false
      }

      return {body: body.slice(0, 200), latencyMs: Math.round(performance.now() - started), ok, status: response.status}
    } catch (error) {
      return {error: networkError(url, error).message, latencyMs: Math.round(performance.now() - started), ok: false}
    }
  }

  /** Throws when managers list servers get_servers did not return, or zones report agent capacity: AGENTS_VIEW is missing. */
  private async ensureAgentsVisible(listed: Server[]): Promise<void> {
    // Either may be refused to this key too: then it tells nothing.
    const [managers, zones] = await Promise.all([this.getManagers().catch(() => []), this.getZones({brief: true}).catch(() => [])])
    const seen = new Set(listed.map((s) => s.server_id))
    const unseen = managers.flatMap((m) => m.servers ?? []).filter((s) => !seen.has(normalizeId(s.server_id)))
    const withCapacity = zones.filter((z) => ZONE_CAPACITY_FIELDS.some((field) => Number(z[field] ?? 0) > 0))
    if (unseen.length === 0 && withCapacity.length === 0) return
    const evidence =
      unseen.length > 0
        ? `the managers list ${unseen.length} server(s) (${unseen.slice(0, 3).map((s) => s.hostname).join(', ')}${unseen.length > 3 ? ', ...' : ''}) that get_servers did not return`
        : `zone(s) ${withCapacity.map((z) => z.zone_name).join(', ')} report free agent capacity, yet get_servers returned no agent`
    throw new AuthError(`the API key cannot see Docker agents: ${evidence}. Kasm returns agents only to a key with ${describePermissions([AGENTS_VIEW])}, and an empty list otherwise`, {
      details: {method: 'get_servers', permissions: [AGENTS_VIEW]},
      hint: `grant ${describePermissions([AGENTS_VIEW])} to the API key in Kasm (Settings → Developers), or use a context whose key has it`,
    })
  }

  private backoff(attempt: number): number {
    return (this.options.retryDelayMs ?? 250) * 2 ** (attempt - 1)
  }

  private http(): HttpTransport {
    this.transport ??= new HttpTransport({
      caPem: this.options.caPem,
      debug: this.options.debug,
      insecure: this.options.insecure,
      timeoutMs: this.options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    })
    return this.transport
  }

  private interpret<T>(method: string, url: string, response: HttpResponse): T {
    const {body, status} = response
    const json = parseJson(body)
    if (json === undefined) {
      throw new UnavailableError(`unexpected response from ${url} (HTTP ${status})`, {
        details: {status},
        hint: status === 404 ? 'check the context API URL points at a Kasm web app or its proxy' : 'check the web app logs, or run `kasmctl health`',
      })
    }

    const message = typeof json.error_message === 'string' ? json.error_message : undefined
    if (status === 401 || status === 403 || /not licensed/i.test(message ?? '')) throw authError(method, url, status, message)
    if (status === 400 && message === 'Invalid Request' && this.options.auth === 'basic') throw basicAuthIgnored(url)
    if (message !== undefined) {
      throw new KasmApiError(`Kasm refused ${method}: ${message}`, message, {details: {method, status}})
    }

    if (status >= 400) {
      throw new UnavailableError(`unexpected response from ${url} (HTTP ${status})`, {details: {status}})
    }

    return json as T
  }
}

function normalizeAutoscaleIds(config: RawAutoscaleConfig): RawAutoscaleConfig {
  const optional = (value: unknown) => (typeof value === 'string' && value !== '' ? normalizeId(value) : (value as null))
  return {...config, autoscale_config_id: normalizeId(config.autoscale_config_id), server_pool_id: optional(config.server_pool_id), zone_id: optional(config.zone_id) ?? ''}
}

function parseJson(data: string): Body | undefined {
  if (data.trim() === '') return undefined
  try {
    const value = JSON.parse(data)
    return typeof value === 'object' && value !== null ? value : undefined
  } catch {
    return undefined
  }
}

function authError(method: string, url: string, status: number, message = ''): AuthError {
  const needed = ENDPOINTS[method]?.permissions
  if (status === 401 && message === 'Access has expired') {
    return new AuthError(`the API key has expired (${url})`, {hint: 'create a new API key in Kasm and run `kasmctl context add` again'})
  }

  // Sending user_id acts as that user, which needs USERS_AUTH_SESSION (kasm-api.md §2a).
  if (status === 401 && /impersonate a user/.test(message)) {
    return new AuthError(`the API key may not act for a user in ${method}: it needs ${describePermissions([352])} (Kasm said "${message}")`, {
      details: {method, permissions: [352], status},
      hint: 'grant the permission to the API key in Kasm (Settings → Developers), or use a context whose key has it',
    })
  }

  // update_setting words a missing category permission as "User (...) is not authorized to make changes to this setting (...)".
  // Kasm answers the same 401 to a read-only key calling a write (kasm-verified.md §1): a hint names both causes.
  // A method kasmctl does not know may be a write: both causes then.
  if (status === 401 && /^Unauthorized|is not authorized to make changes/.test(message)) {
    const write = ENDPOINTS[method]?.write ?? true
    const needs = describeEndpointNeeds(method)
    const permission = needs ?? 'the permission the method needs'
    return new AuthError(`the API key lacks the permission for ${method}${needs ? `: it needs ${needs}` : ''}${write ? ', and a key that is not read-only' : ''} (Kasm said "${message}")`, {
      details: {method, permissions: needed ?? [], status},
      hint: write
        ? `Kasm gives this answer for two causes: a missing permission, or a read-only key calling a write. In Kasm (Settings → Developers) grant the key ${permission} and clear "Read Only", or use a context whose key can write`
        : 'grant the permission to the API key in Kasm (Settings → Developers), or use a context whose key has it',
    })
  }

  if (/auto ?scaling is not licensed/i.test(message)) {
    return new LicenseError(`Auto Scaling is not licensed on ${url}: Kasm refused ${method} ("${message}")`, {
      details: {method, status},
      hint: 'server pools and autoscale configs need a Kasm licence that includes Auto Scaling; the key needs SERVER_POOLS_VIEW / AUTOSCALE_VIEW too',
    })
  }

  if (/not licensed/i.test(message)) {
    return new AuthError(`the Kasm Developer API is not licensed on ${url} (HTTP ${status})`, {hint: 'a Kasm license with the Developer API is required'})
  }

  return new AuthError(`the API key or secret was refused by ${url} (HTTP ${status}${message ? ` "${message}"` : ''})`, {
    details: {method, status},
    hint: 'check the key and secret of the context (`kasmctl context show`)',
  })
}

/** Kasm 1.15 does not read HTTP Basic: it sees a request without credentials and answers 400 "Invalid Request" (kasm-verified.md §1). */
function basicAuthIgnored(url: string): AuthError {
  return new AuthError(`${url} ignored the HTTP Basic credentials (HTTP 400 "Invalid Request"): this Kasm reads the API key only from the request body or the api-key headers`, {
    details: {auth: 'basic', status: 400},
    hint: 'switch the context to body (or header) credentials: `kasmctl context add NAME --auth body ...` (only newer Kasm versions read HTTP Basic)',
  })
}

const TLS_CODES = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|ERR_TLS/

function networkError(url: string, error: unknown): UnavailableError {
  const code = error instanceof NetworkError ? error.code : ''
  const reason = error instanceof Error ? error.message : String(error)
  if (TLS_CODES.test(code) || TLS_CODES.test(reason)) {
    return new UnavailableError(`TLS error talking to ${url}: ${reason}`, {
      details: {code},
      hint: 'set the CA that signed the certificate with `kasmctl context add --ca-file PEM`, or (not recommended) `--insecure`',
    })
  }

  const what: Record<string, string> = {
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENOTFOUND: 'host name not found (DNS)',
    ETIMEDOUT: 'timed out',
    EAI_AGAIN: 'DNS lookup failed',
  }
  const via = error instanceof NetworkError ? error.via : undefined
  if (via) {
    return new UnavailableError(`cannot reach ${url} through proxy ${via}: ${what[code] ?? reason}`, {
      details: {code, proxy: via},
      hint: 'check the proxy (HTTPS_PROXY / HTTP_PROXY), or name the Kasm host in NO_PROXY to connect directly',
    })
  }

  return new UnavailableError(`cannot reach ${url}: ${what[code] ?? reason}`, {
    details: {code},
    hint: 'check the context API URL and that the web app (or its proxy) is up: `kasmctl health`',
  })
}
