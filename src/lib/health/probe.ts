import {createHash, randomBytes} from 'node:crypto'
import type {Agent as HttpsAgent} from 'node:https'
import type {ClientRequest, RequestOptions} from 'node:http'
import {createRequire} from 'node:module'
import {createSecureContext, rootCertificates, type TLSSocket} from 'node:tls'

import {DAY_MS} from '../duration.js'

// require, not an ESM import, as in the API client (kasm/transport.ts): on Node 22+ importing node:http builds
// its ESM facade, which loads undici, http2 and zlib (~60 ms on every health run).
const require = createRequire(import.meta.url)
const http = require('node:http') as typeof import('node:http')
const https = require('node:https') as typeof import('node:https')

/** The certificate a server presented, judged the way a browser would. */
export interface TlsInfo {
  /** The chain is trusted (system roots + the context's CA) and the certificate matches the host name. */
  trusted: boolean
  /** Why not: DEPTH_ZERO_SELF_SIGNED_CERT, CERT_HAS_EXPIRED, ERR_TLS_CERT_ALTNAME_INVALID... */
  error?: string
  subject?: string
  validTo?: Date
  daysToExpiry?: number
}

export interface HttpProbe {
  status?: number
  body?: string
  latencyMs: number
  /** Network failure, in words: "connection refused", "timed out after 5s". */
  error?: string
  tls?: TlsInfo
}

export interface UpgradeProbe {
  /** 101 when the WebSocket handshake went through. */
  status?: number
  upgraded: boolean
  latencyMs: number
  error?: string
}

export interface ProberOptions {
  timeoutMs: number
  /** PEM of a private CA (the context's tls.caFile), trusted besides the system roots. */
  caPem?: string
}

const BODY_LIMIT = 4096

const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/**
 * HTTP(S) probes for the health fan-out, on node:http with keep-alive agents (the cheapest client
 * measured, performance-notes.md §3). Certificates are never rejected at connect time: a bad
 * certificate is a finding to report, not a reason to skip the healthcheck behind it.
 */
export class Prober {
  private readonly httpAgent = new http.Agent({keepAlive: true})
  private httpsAgent?: HttpsAgent

  constructor(private readonly options: ProberOptions) {}

  /** GET `url`; the body is kept up to 4 KB. Never throws. */
  async get(url: string): Promise<HttpProbe> {
    const started = performance.now()
    const elapsed = () => Math.round(performance.now() - started)
    return new Promise<HttpProbe>((resolve) => {
      let settled = false
      const finish = (result: Omit<HttpProbe, 'latencyMs'>) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve({...result, latencyMs: elapsed()})
      }

      let request: ClientRequest
      try {
        request = this.request(url, {headers: {Accept: 'application/json'}, method: 'GET'})
      } catch (error) {
        finish({error: (error as Error).message})
        return
      }

      const timer = setTimeout(() => {
        finish({error: `timed out after ${formatMs(this.options.timeoutMs)}`})
        request.destroy()
      }, this.options.timeoutMs)
      request.on('error', (error) => finish({error: describeNetworkError(error)}))
      request.on('socket', rememberHandshake)
      request.on('response', (response) => {
        const tls = handshakes.get(response.socket) ?? tlsInfo(response.socket)
        let body = ''
        response.setEncoding('utf8')
        response.on('data', (chunk: string) => {
          if (body.length < BODY_LIMIT) body += chunk
        })
        response.on('end', () => finish({body: body.slice(0, BODY_LIMIT), status: response.statusCode, tls}))
        response.on('error', (error) => finish({error: describeNetworkError(error), status: response.statusCode, tls}))
      })
      request.end()
    })
  }

  /** A WebSocket upgrade handshake to `url`: upgraded only on 101 with the right Sec-WebSocket-Accept. */
  async upgrade(url: string): Promise<UpgradeProbe> {
    const started = performance.now()
    const key = randomBytes(16).toString('base64')
    const expectedAccept = createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64')
    return new Promise<UpgradeProbe>((resolve) => {
      let settled = false
      const finish = (result: Omit<UpgradeProbe, 'latencyMs'>) => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        resolve({...result, latencyMs: Math.round(performance.now() - started)})
      }

      let request: ClientRequest
      try {
        request = this.request(url, {
          headers: {Connection: 'Upgrade', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', Upgrade: 'websocket'},
          method: 'GET',
        })
      } catch (error) {
        finish({error: (error as Error).message, upgraded: false})
        return
      }

      const timer = setTimeout(() => {
        finish({error: `timed out after ${formatMs(this.options.timeoutMs)}`, upgraded: false})
        request.destroy()
      }, this.options.timeoutMs)
      request.on('error', (error) => finish({error: describeNetworkError(error), upgraded: false}))
      request.on('upgrade', (response, socket) => {
        socket.destroy()
        const accepted = response.headers['sec-websocket-accept'] === expectedAccept
        finish({error: accepted ? undefined : 'wrong Sec-WebSocket-Accept', status: response.statusCode, upgraded: accepted})
      })
      request.on('response', (response) => {
        response.resume()
        finish({status: response.statusCode, upgraded: false})
      })
      request.end()
    })
  }

  /** Closes kept-alive connections so the process can exit. */
  close(): void {
    this.httpAgent.destroy()
    this.httpsAgent?.destroy()
  }

  private request(url: string, options: RequestOptions): ClientRequest {
    const parsed = new URL(url)
    if (parsed.protocol === 'https:') {
      // One secure context for every connection, built on first use: building one with all the roots is costly.
      this.httpsAgent ??= new https.Agent({
        keepAlive: true,
        // Every new connection a full handshake: a resumed TLS session need not carry the certificate.
        maxCachedSessions: 0,
        rejectUnauthorized: false,
        secureContext: createSecureContext({ca: this.options.caPem ? [...rootCertificates, this.options.caPem] : [...rootCertificates]}),
      })
      return https.request(parsed, {...options, agent: this.httpsAgent})
    }

    if (parsed.protocol === 'http:') return http.request(parsed, {...options, agent: this.httpAgent})
    throw new Error(`unsupported URL scheme ${parsed.protocol} in ${url}`)
  }
}

/**
 * What each TLS socket showed at its handshake. The certificate is read there, not when a response is
 * parsed: by then a server that closes the connection may have taken it along, and a kept-alive
 * socket is reused by later requests.
 */
const handshakes = new WeakMap<object, TlsInfo | undefined>()

function rememberHandshake(socket: object): void {
  const secure = socket as Partial<TLSSocket> & {once(event: string, listener: () => void): unknown}
  if (handshakes.has(socket) || typeof secure.getPeerCertificate !== 'function') return
  if (secure.getPeerCertificate()?.valid_to) handshakes.set(socket, tlsInfo(socket))
  else secure.once('secureConnect', () => handshakes.set(socket, tlsInfo(socket)))
}

function tlsInfo(socket: unknown): TlsInfo | undefined {
  const tls = socket as Partial<TLSSocket>
  if (typeof tls.getPeerCertificate !== 'function') return undefined
  const certificate = tls.getPeerCertificate()
  const validTo = certificate?.valid_to ? new Date(certificate.valid_to) : undefined
  return {
    daysToExpiry: validTo ? Math.floor((validTo.getTime() - Date.now()) / DAY_MS) : undefined,
    error: tls.authorized ? undefined : String(tls.authorizationError ?? 'certificate not verified'),
    subject: certificate?.subject?.CN ? String(certificate.subject.CN) : undefined,
    trusted: Boolean(tls.authorized),
    validTo,
  }
}

const NETWORK_ERRORS: Record<string, string> = {
  EAI_AGAIN: 'DNS lookup failed',
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
  ENOTFOUND: 'host name not found (DNS)',
  EPIPE: 'connection closed',
  ETIMEDOUT: 'connect timed out',
}

function describeNetworkError(error: Error & {code?: string}): string {
  return (error.code && NETWORK_ERRORS[error.code]) ?? error.code ?? error.message
}

export function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`
}
