import type {Agent as HttpAgent, ClientRequest, IncomingMessage, RequestOptions} from 'node:http'
import type {Agent as HttpsAgent} from 'node:https'
import {createRequire} from 'node:module'

import {describeProxy, type ProxyChoice, proxyFor} from './proxy-env.js'

// node:http and node:https are required, not imported: on Node 22+ an ESM import of node:http builds
// its export facade, which loads undici, http2 and zlib (~60 ms) for http.WebSocket & co. And each
// is loaded only when a URL needs it.
const require = createRequire(import.meta.url)

export interface HttpResponse {
  status: number
  body: string
}

/** The request never got an HTTP answer: refused, reset, DNS, TLS, timeout. `code` is Node's (ECONNREFUSED...). */
export class NetworkError extends Error {
  readonly code: string
  /** The forward proxy the request went through, as describeProxy() shows it. */
  via?: string
  constructor(message: string, code: string) {
    super(message)
    this.name = 'NetworkError'
    this.code = code
  }
}

export interface TransportOptions {
  /** PEM CA bundle trusted for HTTPS, instead of the system CAs. */
  caPem?: string
  insecure?: boolean
  /** Whole-request timeout. */
  timeoutMs: number
  /** Where HTTPS_PROXY / HTTP_PROXY / NO_PROXY are read (default process.env). */
  env?: NodeJS.ProcessEnv
  /** Receives one line per origin when a proxy is set: the proxy it goes through, or the NO_PROXY entry that bypasses it. */
  debug?: (line: string) => void
}

interface Sender {
  send: (target: URL, options: RequestOptions) => ClientRequest
  /** The proxy in use, for error messages. */
  via?: string
}

/**
 * HTTP(S) with kept-alive connections on node:http — measured at ~3 ms to load, where axios cost
 * ~140 ms on every API command of this CLI (bench/startup.mjs). Any status is a response; only
 * transport failures throw (NetworkError). No redirects are followed. Honours HTTPS_PROXY,
 * HTTP_PROXY and NO_PROXY (proxy-env.ts).
 */
export class HttpTransport {
  /** One sender per origin: its agent (direct or through the proxy) and its request function. */
  private readonly senders = new Map<string, Promise<Sender>>()
  private readonly agents: Array<HttpAgent | HttpsAgent> = []
  private readonly routed = new Set<string>()
  private readonly options: TransportOptions

  constructor(options: TransportOptions) {
    this.options = options
  }

  async request(method: 'GET' | 'POST', url: string, body?: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const target = new URL(url)
    const {send, via} = await this.sender(target)
    const {timeoutMs} = this.options
    return new Promise<HttpResponse>((resolve, reject) => {
      const request = send(target, {
        headers: body === undefined ? headers : {'Content-Length': String(Buffer.byteLength(body)), 'Content-Type': 'application/json', ...headers},
        method,
      })
      const timer = setTimeout(() => request.destroy(new NetworkError(`timed out after ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs)
      function fail(error: NodeJS.ErrnoException): void {
        clearTimeout(timer)
        const failure = error instanceof NetworkError ? error : new NetworkError(error.message, error.code ?? 'ERR_NETWORK')
        failure.via = via
        reject(failure)
      }

      request.on('response', (response: IncomingMessage) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () => {
          clearTimeout(timer)
          resolve({body: Buffer.concat(chunks).toString('utf8'), status: response.statusCode ?? 0})
        })
        response.on('error', fail)
      })
      request.on('error', fail)
      request.end(body)
    })
  }

  /** Closes kept-alive connections so the process can exit at once. */
  close(): void {
    for (const agent of this.agents) agent.destroy()
  }

  private sender(target: URL): Promise<Sender> {
    let sender = this.senders.get(target.origin)
    if (!sender) {
      sender = this.createSender(target)
      this.senders.set(target.origin, sender)
    }

    return sender
  }

  /**
   * The forward proxy for this URL's origin, if any; the first time per origin, says which one on the
   * debug line (also for an answer asked early by another client, which this one never sends).
   */
  route(target: URL): ProxyChoice {
    const {proxy, reason} = proxyFor(target, this.options.env)
    if (!this.routed.has(target.origin)) {
      this.routed.add(target.origin)
      if (proxy) this.options.debug?.(`${target.origin} via proxy ${describeProxy(proxy)} (${reason})`)
      else if (reason.startsWith('NO_PROXY')) this.options.debug?.(`${target.origin} directly (${reason})`)
    }

    return {proxy, reason}
  }

  private async createSender(target: URL): Promise<Sender> {
    const secure = target.protocol === 'https:'
    const tlsOptions = {ca: this.options.caPem, keepAlive: true, rejectUnauthorized: !this.options.insecure}
    const {proxy} = this.route(target)
    if (proxy) {
      const tunnel = await import('./proxy-tunnel.js')
      const via = describeProxy(proxy)
      if (secure) {
        const agent = this.keep(new tunnel.TunnelAgent(proxy, tlsOptions))
        const https = require('node:https') as typeof import('node:https')
        return {send: (url, options) => https.request(url, {...options, agent}), via}
      }

      const http = require('node:http') as typeof import('node:http')
      const agent = this.keep(new http.Agent({keepAlive: true}))
      return {send: (url, options) => tunnel.proxiedHttpRequest(proxy, agent, url, options as {headers: Record<string, string>; method: string}), via}
    }

    if (secure) {
      const https = require('node:https') as typeof import('node:https')
      const agent = this.keep(new https.Agent(tlsOptions))
      return {send: (url, options) => https.request(url, {...options, agent})}
    }

    const http = require('node:http') as typeof import('node:http')
    const agent = this.keep(new http.Agent({keepAlive: true}))
    return {send: (url, options) => http.request(url, {...options, agent})}
  }

  private keep<A extends HttpAgent | HttpsAgent>(agent: A): A {
    this.agents.push(agent)
    return agent
  }
}
