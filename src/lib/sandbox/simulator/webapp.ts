import {setTimeout as sleep} from 'node:timers/promises'
import {randomUUID} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import http, {type IncomingMessage, type ServerResponse, STATUS_CODES} from 'node:http'
import type {Duplex} from 'node:stream'

import type pg from 'pg'

import {KASM_RELEASES} from '../../kasm/version.js'
import {autoscaleEndpoints} from './api/autoscale.js'
import type {ApiContext, Endpoint, Row} from './api/context.js'
import {imageEndpoints} from './api/images.js'
import {reportEndpoints} from './api/reports.js'
import {serverEndpoints} from './api/servers.js'
import {sessionEndpoints} from './api/sessions.js'
import {settingEndpoints} from './api/settings.js'
import {zoneEndpoints} from './api/zones.js'
import {authenticate, credentials} from './auth.js'
import {asUuid} from './db.js'
import {errorPage, KasmReply, readBody, sendJson, sendPage, sendReply, sendText, statusError} from './http.js'
import type {KasmVersion} from './views.js'
import {acceptWebSocket, isWebSocketRequest, refuseUpgrade} from './websocket.js'

/** Every method, served alike at /api/public/<name> and /api/admin/<name> (kasm-api.md §1). */
export const ENDPOINTS: Record<string, Endpoint> = {
  ...zoneEndpoints,
  ...serverEndpoints,
  ...sessionEndpoints,
  ...settingEndpoints,
  ...reportEndpoints,
  ...autoscaleEndpoints,
  ...imageEndpoints,
}

/** Exactly what Kasm answers: 12 bytes. */
const HEALTHY = '{"ok": true}'
/** The authorization a server's check-in JWT must carry. */
const SERVER_AGENT = 70
const SERVER_STATUSES = ['running', 'starting', 'delete_pending', 'destroying', 'missing', 'dead']
const API_ROUTE = /^\/api\/(?:public|admin)\/([\w.-]+)\/?$/

/** What every web app shares: the database, the version it imitates, and the faults set on it. */
export interface WebAppShared {
  db: pg.Pool
  version: KasmVersion
  checkinWindowMs: number
  log(line: string): void
  installationId(): Promise<string>
  registrationJwt(serverId: string): string
  /** Faults currently set on this web app. */
  faultsFor(name: string): {delayMs?: number; status?: number}
  /** False under the fault autoscale-unlicensed. */
  autoscaleLicensed(): boolean
  /** The claims of a JWT this deployment signed, or undefined when the signature does not verify. */
  verifyJwt(token: string): Row | undefined
}

export interface WebAppOptions {
  name: string
  port: number
  configPath: string
}

/**
 * One Kasm web app (kasm_api + its manager): an HTTP listener on 127.0.0.1:<port> that reads its
 * host's api.app.config.yaml on start, as /opt/kasm/bin/start does.
 */
export class WebApp {
  readonly name: string
  readonly port: number
  /** Started (bin/start) and not stopped (bin/stop); the listener may still be closed by api-down. */
  running = false
  zoneName = 'default'
  managerId?: string
  private server?: http.Server
  private readonly upgraded = new Set<Duplex>()

  constructor(
    private readonly options: WebAppOptions,
    private readonly shared: WebAppShared,
  ) {
    this.name = options.name
    this.port = options.port
  }

  get listening(): boolean {
    return Boolean(this.server?.listening)
  }

  /** Re-reads the config, registers its zone and manager, then listens (unless the API is down). */
  async start(listen: boolean): Promise<void> {
    await this.register()
    this.running = true
    if (listen) await this.listen()
  }

  async stop(): Promise<void> {
    this.running = false
    await this.unlisten()
  }

  async listen(): Promise<void> {
    if (this.server?.listening) return
    const server = http.createServer((req, res) => {
      this.handle(req, res).catch((error: Error) => {
        this.shared.log(`${this.name}: ${req.method} ${req.url} failed: ${error.stack ?? error.message}`)
        if (!res.headersSent) sendPage(res, 500)
        else res.destroy()
      })
    })
    server.keepAliveTimeout = 5000
    server.on('upgrade', (req: IncomingMessage, socket: Duplex) => this.upgrade(req, socket))
    server.on('clientError', (_error, socket) => socket.destroy())
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
  }

  /** Closes the listener and every open connection: clients see connection refused. */
  async unlisten(): Promise<void> {
    const {server} = this
    this.server = undefined
    for (const socket of this.upgraded) socket.destroy()
    this.upgraded.clear()
    if (!server) return
    const closed = new Promise<void>((resolve) => {
      server.close(() => resolve())
    })
    server.closeAllConnections()
    await closed
  }

  /** server.zone_name decides the manager's zone; an unknown name registers a new zone, as Kasm does. */
  private async register(): Promise<void> {
    const config = await readConfig(this.options.configPath)
    const server = (config.server ?? {}) as Row
    const manager = (config.manager ?? {}) as Row
    this.zoneName = typeof server.zone_name === 'string' && server.zone_name !== '' ? server.zone_name : 'default'
    const {db} = this.shared
    const created = await db.query(`INSERT INTO zones (zone_name) VALUES ($1) ON CONFLICT (zone_name) DO NOTHING RETURNING zone_id`, [this.zoneName])
    if (created.rowCount) this.shared.log(`${this.name}: registered new zone "${this.zoneName}" (server.zone_name is not a known zone)`)
    const configuredId = asUuid(manager.manager_id)
    const {rows} = await db.query(
      `UPDATE managers SET zone_id = (SELECT zone_id FROM zones WHERE zone_name = $3),
              last_reported = localtimestamp, first_reported = COALESCE(first_reported, localtimestamp)
        WHERE manager_id = (SELECT manager_id FROM managers
                             WHERE manager_id = $1::uuid OR manager_hostname = $2
                             ORDER BY (manager_id = $1::uuid) DESC NULLS LAST LIMIT 1)
        RETURNING manager_id`,
      [configuredId ?? null, this.name, this.zoneName],
    )
    if (rows[0]) {
      this.managerId = rows[0].manager_id as string
      return
    }

    // A manager Kasm has never seen registers itself.
    const inserted = await db.query(
      `INSERT INTO managers (manager_id, manager_hostname, manager_version, first_reported, last_reported, zone_id, operational_status)
       SELECT $1, $2, $3, localtimestamp, localtimestamp, zone_id, 'running' FROM zones WHERE zone_name = $4
       RETURNING manager_id`,
      [configuredId ?? randomUUID(), this.name, KASM_RELEASES[this.shared.version], this.zoneName],
    )
    this.managerId = inserted.rows[0].manager_id as string
    this.shared.log(`${this.name}: registered new manager ${this.managerId}`)
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const fault = this.shared.faultsFor(this.name)
    if (fault.delayMs) await sleep(fault.delayMs)
    const path = (req.url ?? '/').split('?')[0]
    if (fault.status && path.startsWith('/api')) return sendPage(res, fault.status)
    if (path === '/api/__healthcheck') return this.healthcheck(req, res)
    if (path === '/api/set_server_status') return this.setServerStatus(req, res)
    const route = API_ROUTE.exec(path)
    const endpoint = route ? ENDPOINTS[route[1]] : undefined
    if (!route || !endpoint) return sendPage(res, 404)
    if (req.method !== 'POST') return sendPage(res, 405)
    try {
      const body = parseBody(req, await readBody(req))
      const key = await authenticate(this.shared.db, credentials(body, req.headers, this.shared.version))
      if (endpoint.licensed === 'autoscale' && !this.shared.autoscaleLicensed()) throw statusError(403, 'Access Denied. Auto Scaling is not licensed')
      if ((endpoint.write && key.readOnly) || !key.has(...endpoint.permissions)) throw statusError(401, 'Unauthorized')
      const ctx: ApiContext = {
        body,
        checkinWindowMs: this.shared.checkinWindowMs,
        db: this.shared.db,
        installationId: this.shared.installationId,
        key,
        registrationJwt: this.shared.registrationJwt,
        requestHost: (req.headers['x-forwarded-host'] as string | undefined) ?? req.headers.host?.replace(/:\d+$/, '') ?? '127.0.0.1',
        version: this.shared.version,
        zoneName: this.zoneName,
      }
      sendJson(res, 200, await endpoint.handle(ctx))
    } catch (error) {
      if (!(error instanceof KasmReply)) throw error
      sendReply(res, error)
    }
  }

  /**
   * How an autoscaled server checks in (kasm-api.md §4 set_server_status): a JWT in ?token= or the
   * body, signed by this deployment and holding authorization 70 (SERVER_AGENT) and the server id.
   */
  private async setServerStatus(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'POST') return sendPage(res, 405)
    try {
      const body = parseBody(req, await readBody(req))
      const token = new URL(req.url ?? '/', 'http://sandbox').searchParams.get('token') ?? (typeof body.token === 'string' ? body.token : undefined)
      if (!token) return sendJson(res, 200, {error_message: 'JWT token missing from request'})
      const claims = this.shared.verifyJwt(token)
      if (!claims || (typeof claims.exp === 'number' && claims.exp * 1000 < Date.now())) return sendJson(res, 403, {error_message: 'Access Denied.'})
      if (!Array.isArray(claims.authorizations) || !claims.authorizations.includes(SERVER_AGENT)) {
        return sendJson(res, 401, {error_message: 'Unauthorized Action'})
      }

      // A missing or unknown status, or an unknown server: Kasm answers with an empty body.
      if (!SERVER_STATUSES.includes(body.status as string)) return sendText(res, 400, '', 'application/json')
      const {rowCount} = await this.shared.db.query(
        `UPDATE servers SET operational_status = $2::varchar, last_reported = CASE WHEN $2::varchar = 'running' THEN localtimestamp ELSE last_reported END
          WHERE server_id = $1`,
        [asUuid(claims.server_id) ?? null, body.status],
      )
      if (!rowCount) return sendText(res, 404, '', 'application/json')
      this.shared.log(`${this.name}: server ${String(claims.server_id)} checked in as ${String(body.status)}`)
      sendJson(res, 200, {status: body.status})
    } catch (error) {
      if (!(error instanceof KasmReply)) throw error
      sendReply(res, error)
    }
  }

  /** Queries the database, as Kasm's getInstallation does: down → the 500 page. */
  private async healthcheck(req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendPage(res, 405)
    try {
      await this.shared.db.query('SELECT installation_id FROM installation LIMIT 1')
    } catch (error) {
      this.shared.log(`${this.name}: healthcheck: database unavailable: ${(error as Error).message}`)
      return sendPage(res, 500)
    }

    sendText(res, 200, HEALTHY, 'application/json')
  }

  private upgrade(req: IncomingMessage, socket: Duplex): void {
    const fault = this.shared.faultsFor(this.name)
    const path = (req.url ?? '/').split('?')[0]
    const refuse = (status: number) => refuseUpgrade(socket, status, STATUS_CODES[status] ?? 'Error', errorPage(status))
    if (fault.status) return refuse(fault.status)
    if (!(path === '/api/websocket' || path.startsWith('/desktop/'))) return refuse(404)
    if (!isWebSocketRequest(req)) return refuse(400)
    this.upgraded.add(socket)
    socket.on('close', () => this.upgraded.delete(socket))
    const accept = () => acceptWebSocket(req, socket)
    if (fault.delayMs) setTimeout(accept, fault.delayMs)
    else accept()
  }
}

async function readConfig(path: string): Promise<Row> {
  const {parse} = await import('yaml')
  const parsed = parse(await readFile(path, 'utf8')) as unknown
  return parsed && typeof parsed === 'object' ? (parsed as Row) : {}
}

/** CherryPy's json_in: a non-JSON content type is 415, malformed JSON 400 (text pages). Empty is {}. */
function parseBody(req: IncomingMessage, raw: Buffer): Row {
  if (raw.length === 0) return {}
  const type = req.headers['content-type'] ?? ''
  if (type && !/json/i.test(type)) throw new KasmReply(415, errorPage(415))
  try {
    const value = JSON.parse(raw.toString('utf8')) as unknown
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Row
  } catch {
    // falls through to the 400 page
  }

  throw new KasmReply(400, errorPage(400))
}
