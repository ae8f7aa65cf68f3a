/**
 * Forward-proxy support for the transport, loaded only when a proxy applies (proxy-env.ts decides).
 * HTTPS goes through a CONNECT tunnel, so TLS stays end to end between kasmctl and Kasm and the
 * proxy sees only the host name; plain HTTP is sent to the proxy with the absolute URL.
 * A small agent on node:http rather than a dependency: it is all the client needs.
 */
import type {Agent as HttpAgent, ClientRequest, IncomingMessage, RequestOptions} from 'node:http'
import type {AgentOptions} from 'node:https'
import {createRequire} from 'node:module'
import type {Socket} from 'node:net'
import type {Duplex} from 'node:stream'
import type {ConnectionOptions} from 'node:tls'

import {NetworkError} from './transport.js'

const require = createRequire(import.meta.url)
const http = require('node:http') as typeof import('node:http')
const https = require('node:https') as typeof import('node:https')
const tls = require('node:tls') as typeof import('node:tls')

/** Headers the proxy needs: Basic credentials when its URL has a user name. */
function proxyHeaders(proxy: URL): Record<string, string> {
  if (!proxy.username) return {}
  const credentials = `${decodeURIComponent(proxy.username)}:${decodeURIComponent(proxy.password)}`
  return {'Proxy-Authorization': `Basic ${Buffer.from(credentials).toString('base64')}`}
}

type Callback = (error: Error | null, stream: Duplex) => void

/** An https.Agent whose connections are CONNECT tunnels through `proxy`; keep-alive pools them as usual. */
export class TunnelAgent extends https.Agent {
  constructor(
    private readonly proxy: URL,
    options: AgentOptions,
  ) {
    super(options)
  }

  // Node's Agent accepts a connection handed over later through the callback.
  createConnection(requestOptions: RequestOptions, callback?: Callback): undefined {
    // The agent has already merged its TLS options and the server name (none for an IP address).
    const options = requestOptions as ConnectionOptions & {host: string; port: number}
    const done = callback!
    // On failure Node's agent reads only the error.
    const fail = (error: Error) => (done as (error: Error) => void)(error)
    const authority = `${options.host}:${options.port}`
    const connect: ClientRequest = http.request({
      agent: false,
      headers: {Host: authority, ...proxyHeaders(this.proxy)},
      host: this.proxy.hostname,
      method: 'CONNECT',
      path: authority,
      port: this.proxy.port || 80,
    })
    connect.once('connect', (response: IncomingMessage, socket: Socket) => {
      if (response.statusCode !== 200) {
        socket.destroy()
        fail(new NetworkError(`the proxy refused CONNECT ${authority}: HTTP ${response.statusCode} ${response.statusMessage ?? ''}`.trim(), 'EPROXY'))
        return
      }

      done(null, tls.connect({...options, socket}))
    })
    connect.once('error', fail)
    connect.end()
    return undefined
  }
}

/** Plain HTTP through the proxy: requests go to the proxy, with the absolute URL as their path. */
export function proxiedHttpRequest(proxy: URL, agent: HttpAgent, target: URL, options: {headers: Record<string, string>; method: string}): ClientRequest {
  return http.request({
    agent,
    headers: {...options.headers, ...proxyHeaders(proxy), Host: target.host},
    host: proxy.hostname,
    method: options.method,
    path: target.href,
    port: proxy.port || 80,
  })
}
