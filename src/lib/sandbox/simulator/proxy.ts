import {setTimeout as sleep} from 'node:timers/promises'
import {readFile, writeFile} from 'node:fs/promises'
import http, {type IncomingMessage, type ServerResponse} from 'node:http'
import https from 'node:https'
import net, {type Socket} from 'node:net'
import type {Duplex} from 'node:stream'

import {readBody} from './http.js'

/** nginx's own error pages, as the kasm_proxy container answers them. */
function nginxPage(status: number, reason: string): string {
  return `<html>\r\n<head><title>${status} ${reason}</title></head>\r\n<body>\r\n<center><h1>${status} ${reason}</h1></center>\r\n<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n`
}

export interface ProxyFaults {
  down?: boolean
  delayMs?: number
  stripUpgrade?: boolean
  /** proxy_read_timeout / proxy_send_timeout, in seconds. */
  idleSeconds?: number
}

export interface ReverseProxyOptions {
  name: string
  scheme: 'http' | 'https'
  port: number
  configPath: string
  tls?: {cert: string; key: string}
  /** Ports of the web apps that are running, in a stable order. */
  upstreams(): number[]
  faults(): ProxyFaults
  log(line: string): void
}

const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'transfer-encoding', 'upgrade'])
const REFUSED = new Set(['ECONNREFUSED', 'ECONNRESET', 'EPIPE'])

/**
 * A reverse proxy in front of the web apps, like Kasm's nginx: round-robin over running web apps,
 * the next one on connection refused, HTTP and WebSocket upgrades forwarded (sockets piped).
 */
export class ReverseProxy {
  private server?: http.Server
  private readonly sockets = new Set<Socket>()
  private next = 0
  private originalConfig?: string

  constructor(private readonly options: ReverseProxyOptions) {}

  get name(): string {
    return this.options.name
  }

  get listening(): boolean {
    return Boolean(this.server?.listening)
  }

  async listen(): Promise<void> {
    if (this.server?.listening) return
    const handler = (req: IncomingMessage, res: ServerResponse) => {
      this.forward(req, res).catch((error: Error) => {
        this.options.log(`${this.name}: ${error.message}`)
        if (!res.headersSent) this.page(res, 502, 'Bad Gateway')
        else res.destroy()
      })
    }

    const server = this.options.scheme === 'https' ? https.createServer({...this.options.tls}, handler) : http.createServer(handler)
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      this.tunnel(req, socket as Socket, head).catch(() => socket.destroy())
    })
    server.on(this.options.scheme === 'https' ? 'secureConnection' : 'connection', (socket: Socket) => {
      this.sockets.add(socket)
      socket.on('close', () => this.sockets.delete(socket))
    })
    server.on('clientError', (_error, socket) => socket.destroy())
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject)
      server.listen(this.options.port, '127.0.0.1', () => {
        server.off('error', reject)
        resolve()
      })
    })
    this.server = server
  }

  async close(): Promise<void> {
    const {server} = this
    this.server = undefined
    for (const socket of this.sockets) socket.destroy()
    this.sockets.clear()
    if (!server) return
    await new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
  }

  /** Writes the timeout into the proxy's nginx-style config, as an operator would; remembers the original. */
  async writeIdleTimeout(seconds: number): Promise<void> {
    const text = await readFile(this.options.configPath, 'utf8').catch(() => undefined)
    if (text === undefined) return this.options.log(`${this.name}: no config at ${this.options.configPath}; timeout not written`)
    this.originalConfig ??= text
    let updated = text
    for (const directive of ['proxy_read_timeout', 'proxy_send_timeout']) {
      const pattern = new RegExp(`(${directive}\\s+)[^;]+;`, 'g')
      updated = pattern.test(updated)
        ? updated.replace(pattern, `$1${seconds}s;`)
        : updated.replace(/(location\s[^{]*\{\n?)/, `$1        ${directive} ${seconds}s;\n`)
    }

    await writeFile(this.options.configPath, updated)
  }

  async restoreConfig(): Promise<void> {
    if (this.originalConfig === undefined) return
    await writeFile(this.options.configPath, this.originalConfig)
    this.originalConfig = undefined
  }

  /** Upstream ports starting with the next one in the rotation. */
  private rotation(): number[] {
    const ports = this.options.upstreams()
    if (ports.length === 0) return []
    const start = this.next++ % ports.length
    return [...ports.slice(start), ...ports.slice(0, start)]
  }

  private forwardedHeaders(req: IncomingMessage, keepUpgrade: boolean): http.OutgoingHttpHeaders {
    const headers: http.OutgoingHttpHeaders = {}
    for (const [name, value] of Object.entries(req.headers)) {
      if (value !== undefined && (keepUpgrade || !HOP_BY_HOP.has(name))) headers[name] = value
    }

    headers['x-forwarded-for'] = req.socket.remoteAddress ?? '127.0.0.1'
    headers['x-forwarded-proto'] = this.options.scheme
    headers['x-real-ip'] = req.socket.remoteAddress ?? '127.0.0.1'
    return headers
  }

  private page(res: ServerResponse, status: number, reason: string): void {
    const body = nginxPage(status, reason)
    res.writeHead(status, {'Content-Length': Buffer.byteLength(body), 'Content-Type': 'text/html', Server: 'nginx'})
    res.end(body)
  }

  private async forward(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const faults = this.options.faults()
    const body = await readBody(req)
    if (faults.delayMs) await sleep(faults.delayMs)
    const headers = this.forwardedHeaders(req, false)
    for (const port of this.rotation()) {
      const outcome = await this.attempt(req, res, port, headers, body, faults.idleSeconds)
      if (outcome !== 'refused') return
    }

    this.page(res, 502, 'Bad Gateway')
  }

  /** One upstream attempt; 'refused' lets the caller fail over to the next web app. */
  private attempt(
    req: IncomingMessage,
    res: ServerResponse,
    port: number,
    headers: http.OutgoingHttpHeaders,
    body: Buffer,
    idleSeconds?: number,
  ): Promise<'done' | 'refused'> {
    return new Promise((resolve) => {
      const upstream = http.request({headers, host: '127.0.0.1', method: req.method, path: req.url, port}, (response) => {
        const out: http.OutgoingHttpHeaders = {}
        for (const [name, value] of Object.entries(response.headers)) {
          if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value
        }

        res.writeHead(response.statusCode ?? 502, {...out, server: 'nginx'})
        response.pipe(res)
        response.on('end', () => resolve('done'))
        response.on('error', () => {
          res.destroy()
          resolve('done')
        })
      })
      upstream.on('error', (error: NodeJS.ErrnoException) => {
        if (!res.headersSent && REFUSED.has(error.code ?? '')) return resolve('refused')
        if (!res.headersSent) this.page(res, 502, 'Bad Gateway')
        else res.destroy()
        resolve('done')
      })
      // proxy_read_timeout: a web app slower than this gets nginx's 504.
      if (idleSeconds) {
        upstream.setTimeout(idleSeconds * 1000, () => {
          upstream.destroy()
          if (!res.headersSent) this.page(res, 504, 'Gateway Time-out')
          resolve('done')
        })
      }

      upstream.end(body)
    })
  }

  private async tunnel(req: IncomingMessage, socket: Socket, head: Buffer): Promise<void> {
    const faults = this.options.faults()
    socket.on('error', () => socket.destroy())
    if (faults.delayMs) await sleep(faults.delayMs)
    // Without `proxy_set_header Upgrade/Connection`, nginx sends a plain request: no handshake.
    const keepUpgrade = !faults.stripUpgrade
    const headers = this.forwardedHeaders(req, keepUpgrade)
    const lines = [`${req.method} ${req.url} HTTP/1.1`]
    for (const [name, value] of Object.entries(headers)) {
      for (const v of Array.isArray(value) ? value : [value]) lines.push(`${name}: ${v}`)
    }

    if (!keepUpgrade) lines.push('connection: close')
    const request = Buffer.concat([Buffer.from(`${lines.join('\r\n')}\r\n\r\n`), head])
    for (const port of this.rotation()) {
      const upstream = await connect(port)
      if (!upstream) continue
      upstream.write(request)
      upstream.pipe(socket)
      socket.pipe(upstream)
      const idle = faults.idleSeconds
      if (idle) {
        socket.setTimeout(idle * 1000, () => {
          socket.destroy()
          upstream.destroy()
        })
      }

      upstream.on('error', () => socket.destroy())
      upstream.on('close', () => socket.destroy())
      socket.on('close', () => upstream.destroy())
      return
    }

    const body = nginxPage(502, 'Bad Gateway')
    socket.end(`HTTP/1.1 502 Bad Gateway\r\nServer: nginx\r\nContent-Type: text/html\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`)
  }
}

function connect(port: number): Promise<Socket | undefined> {
  return new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1')
    socket.once('connect', () => resolve(socket))
    socket.once('error', () => resolve(undefined))
  })
}
