/**
 * A real forward proxy on 127.0.0.1 for the proxy tests: CONNECT tunnels (HTTPS) and absolute-URL
 * requests (plain HTTP), as squid or tinyproxy serve them. It records what it was asked, and can
 * require Basic credentials.
 */
import {createServer, request as httpRequest, type IncomingMessage, type Server} from 'node:http'
import {connect, type Socket} from 'node:net'

export interface ForwardProxy {
  url: string
  /** `host:port` of each CONNECT, in order. */
  connects: string[]
  /** The absolute URL of each plain HTTP request. */
  requests: string[]
  /** Proxy-Authorization headers received. */
  authorizations: string[]
  close(): Promise<void>
}

export async function startForwardProxy(options: {credentials?: string} = {}): Promise<ForwardProxy> {
  const connects: string[] = []
  const requests: string[] = []
  const authorizations: string[] = []
  const sockets = new Set<Socket>()
  const expected = options.credentials ? `Basic ${Buffer.from(options.credentials).toString('base64')}` : undefined
  const allowed = (request: IncomingMessage) => {
    const header = request.headers['proxy-authorization']
    if (header) authorizations.push(header)
    return expected === undefined || header === expected
  }

  const server: Server = createServer((request, response) => {
    requests.push(request.url ?? '')
    if (!allowed(request)) {
      response.writeHead(407, {'Proxy-Authenticate': 'Basic realm="test"'}).end()
      return
    }

    const upstream = httpRequest(request.url!, {headers: request.headers, method: request.method}, (answer) => {
      response.writeHead(answer.statusCode ?? 502, answer.headers)
      answer.pipe(response)
    })
    upstream.on('error', () => response.writeHead(502).end())
    request.pipe(upstream)
  })
  server.on('connect', (request: IncomingMessage, client: Socket, head: Buffer) => {
    connects.push(request.url ?? '')
    sockets.add(client)
    client.on('close', () => sockets.delete(client))
    if (!allowed(request)) {
      client.end('HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm="test"\r\n\r\n')
      return
    }

    const [host, port] = (request.url ?? '').split(':')
    const upstream = connect(Number(port), host, () => {
      client.write('HTTP/1.1 200 Connection Established\r\n\r\n')
      upstream.write(head)
      upstream.pipe(client)
      client.pipe(upstream)
    })
    sockets.add(upstream)
    upstream.on('close', () => sockets.delete(upstream))
    upstream.on('error', () => client.destroy())
    client.on('error', () => upstream.destroy())
  })
  server.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  return {
    authorizations,
    async close() {
      for (const socket of sockets) socket.destroy()
      await new Promise<void>((resolve) => server.close(() => resolve()))
    },
    connects,
    requests,
    url: `http://127.0.0.1:${port}`,
  }
}
