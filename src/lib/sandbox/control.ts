import {createServer, request, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {OperationError, UnavailableError} from '../errors.js'
import type {Deployment, Fault, SandboxState} from './contract.js'

/** What `GET /status` answers. */
export interface ControlStatus {
  webapps: Record<string, boolean>
  faults: Fault[]
}

/**
 * Calls the daemon's control API (contract.ts CONTROL_ROUTES) on 127.0.0.1. A daemon that is not
 * listening is an UnavailableError naming `kasmctl sandbox up`.
 */
export async function controlRequest<T = unknown>(
  state: Pick<SandboxState, 'daemon'>,
  method: 'DELETE' | 'GET' | 'POST',
  path: string,
  body?: unknown,
  timeoutMs = 30_000,
): Promise<T> {
  const payload = body === undefined ? undefined : JSON.stringify(body)
  return new Promise<T>((resolve, reject) => {
    const req = request(
      {
        headers: payload ? {'content-length': Buffer.byteLength(payload), 'content-type': 'application/json'} : {},
        host: '127.0.0.1',
        method,
        path,
        port: state.daemon.controlPort,
        timeout: timeoutMs,
      },
      (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        res.on('end', () => {
          const parsed = text ? safeJson(text) : undefined
          if ((res.statusCode ?? 500) >= 400) {
            const message = (parsed as {error?: string} | undefined)?.error ?? text
            reject(new OperationError(`sandbox daemon refused ${method} ${path}: ${message}`))
          } else resolve(parsed as T)
        })
      },
    )
    req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)))
    req.on('error', (error) => {
      reject(
        new UnavailableError(`the sandbox daemon is not reachable on 127.0.0.1:${state.daemon.controlPort}: ${error.message}`, {
          hint: 'run `kasmctl sandbox status`, then `kasmctl sandbox up`',
        }),
      )
    })
    req.end(payload)
  })
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/**
 * Serves the control API for a running deployment on 127.0.0.1 (a free port unless given).
 * `onShutdown` runs once the answer to POST /shutdown is sent.
 */
export async function startControlServer(options: {
  deployment: Deployment
  webapps: string[]
  onShutdown: () => void
  port?: number
}): Promise<{server: Server; port: number}> {
  const {deployment, onShutdown} = options
  const statusOf = (): ControlStatus => ({
    faults: deployment.faults(),
    webapps: Object.fromEntries(options.webapps.map((name) => [name, deployment.webappRunning(name)])),
  })
  const routes: Array<{method: string; pattern: RegExp; handle: (match: RegExpMatchArray, body: unknown) => Promise<unknown>}> = [
    {handle: async () => statusOf(), method: 'GET', pattern: /^\/status$/},
    {
      handle: async (m) => {
        await deployment.stopWebapp(decodeURIComponent(m[1]))
        return statusOf()
      },
      method: 'POST',
      pattern: /^\/webapps\/([^/]+)\/stop$/,
    },
    {
      handle: async (m) => {
        await deployment.startWebapp(decodeURIComponent(m[1]))
        return statusOf()
      },
      method: 'POST',
      pattern: /^\/webapps\/([^/]+)\/start$/,
    },
    {
      handle: async (_m, body) => {
        await deployment.setFault(body as Fault)
        return statusOf()
      },
      method: 'POST',
      pattern: /^\/faults$/,
    },
    {
      handle: async () => {
        await deployment.clearFaults()
        return statusOf()
      },
      method: 'DELETE',
      pattern: /^\/faults$/,
    },
    {
      handle: async () => {
        await deployment.tick()
        return {ok: true}
      },
      method: 'POST',
      pattern: /^\/tick$/,
    },
  ]

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const reply = (status: number, data: unknown) => {
      res.writeHead(status, {'content-type': 'application/json'}).end(JSON.stringify(data))
    }

    let text = ''
    req.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
    req.on('end', () => {
      const path = (req.url ?? '/').split('?')[0]
      if (req.method === 'POST' && path === '/shutdown') {
        res.on('finish', onShutdown)
        reply(200, {ok: true})
        return
      }

      const route = routes.find((r) => r.method === req.method && r.pattern.test(path))
      if (!route) {
        reply(404, {error: `no route ${req.method} ${path}`})
        return
      }

      const body = text ? safeJson(text) : undefined
      route.handle(path.match(route.pattern)!, body).then(
        (data) => reply(200, data),
        (error: Error) => reply(400, {error: error.message}),
      )
    })
  })

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(options.port ?? 0, '127.0.0.1', () => resolve())
  })
  return {port: (server.address() as AddressInfo).port, server}
}
