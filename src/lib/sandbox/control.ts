import {createServer, request, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {OperationError, UnavailableError, UsageError, listValues} from '../errors.js'
import {type Deployment, FAULT_FLAG_RANGES, type Fault, type FaultKind, type SandboxState} from './contract.js'

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

export interface FaultInput {
  target?: string
  status?: number
  ms?: number
  seconds?: number
}

/**
 * Builds a Fault from command-line input, checking the target against the sandbox's web apps,
 * proxies or agents and the value each kind needs. db-stop / db-start are not deployment faults.
 */
export function buildFault(kind: Exclude<FaultKind, 'db-start' | 'db-stop'>, input: FaultInput, targets: {webapps: string[]; proxies: string[]; agents: string[]}): Fault {
  const target = (valid: string[], what: string): string => {
    if (!input.target) throw new UsageError(`fault ${kind} needs --target: one of the ${what} ${listValues(valid)}`)
    if (!valid.includes(input.target)) throw new UsageError(`--target "${input.target}" is not one of the ${what}: ${listValues(valid)}`)
    return input.target
  }

  const need = (flag: keyof typeof FAULT_FLAG_RANGES, value: number | undefined): number => {
    const {max, min} = FAULT_FLAG_RANGES[flag]
    if (value === undefined) throw new UsageError(`fault ${kind} needs --${flag}`)
    if (!Number.isInteger(value) || value < min || value > max) throw new UsageError(`--${flag} ${value} is out of range: use ${min}-${max}`)
    return value
  }

  switch (kind) {
    case 'api-down':
    case 'autoscale-unlicensed': {
      return {kind}
    }

    case 'webapp-status': {
      return {kind, status: need('status', input.status), target: target(targets.webapps, 'web apps')}
    }

    case 'webapp-delay': {
      return {kind, ms: need('ms', input.ms), target: target(targets.webapps, 'web apps')}
    }

    case 'proxy-delay': {
      return {kind, ms: need('ms', input.ms), target: target(targets.proxies, 'proxies')}
    }

    case 'proxy-idle-timeout': {
      return {kind, seconds: need('seconds', input.seconds), target: target(targets.proxies, 'proxies')}
    }

    case 'proxy-down':
    case 'proxy-strip-upgrade': {
      return {kind, target: target(targets.proxies, 'proxies')}
    }

    case 'agent-no-checkin': {
      return {kind, target: target(targets.agents, 'agents')}
    }
  }
}

/** One line per fault, for humans. */
export function describeFault(fault: Fault): string {
  const on = 'target' in fault ? ` on ${fault.target}` : ''
  switch (fault.kind) {
    case 'webapp-status': {
      return `web app answers HTTP ${fault.status}${on}`
    }

    case 'webapp-delay':
    case 'proxy-delay': {
      return `${fault.kind === 'webapp-delay' ? 'web app' : 'proxy'} answers after ${fault.ms} ms${on}`
    }

    case 'proxy-idle-timeout': {
      return `proxy closes idle connections after ${fault.seconds} s${on}`
    }

    default: {
      return `${fault.kind}${on}`
    }
  }
}
