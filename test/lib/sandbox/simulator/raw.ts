/**
 * Raw HTTP helpers for the simulator's tests: they talk to the sandbox's web apps and proxies the way
 * any Kasm client would (no KasmClient), so status codes, headers and bodies can be checked exactly.
 */
import {randomBytes} from 'node:crypto'
import {readFile} from 'node:fs/promises'
import http from 'node:http'
import https from 'node:https'
import {join} from 'node:path'

import {freePorts} from '../../../../src/lib/net.js'
import type {Deployment} from '../../../../src/lib/sandbox/contract.js'
import type {SeedResult} from '../../../../src/lib/sandbox/seed.js'
import {startDeployment} from '../../../../src/lib/sandbox/simulator/index.js'
import type {TestSandbox} from '../../../helpers/sandbox.js'

export type KeyName = keyof TestSandbox['state']['apiKeys']
export type AuthStyle = 'basic' | 'body' | 'headers' | 'none'

export interface RawResponse {
  status: number
  contentType: string
  text: string
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  json: any
}

export async function credentials(sandbox: TestSandbox, name: KeyName): Promise<{key: string; secret: string}> {
  const {key, secretFile} = sandbox.state.apiKeys[name]
  return {key, secret: (await readFile(secretFile, 'utf8')).trim()}
}

export async function seedIds(sandbox: TestSandbox): Promise<SeedResult> {
  return JSON.parse(await readFile(join(sandbox.dir, 'seed.json'), 'utf8')) as SeedResult
}

export function webappUrl(sandbox: TestSandbox, name = 'webapp-1'): string {
  const webapp = sandbox.state.webapps.find((w) => w.name === name)
  if (!webapp) throw new Error(`no web app ${name}`)
  return `http://127.0.0.1:${webapp.port}`
}

export function proxyUrl(sandbox: TestSandbox, scheme: 'http' | 'https'): string {
  const proxy = sandbox.state.proxies.find((p) => p.scheme === scheme)!
  return `${scheme}://127.0.0.1:${proxy.port}`
}

export async function query<T = Record<string, unknown>>(sandbox: TestSandbox, sql: string, params: unknown[] = []): Promise<T[]> {
  const db = await sandbox.db()
  try {
    return (await db.query(sql, params)).rows as T[]
  } finally {
    await db.end()
  }
}

/** One request with a fresh connection (no keep-alive), so stopped listeners are seen at once. */
export async function request(
  url: string,
  options: {body?: Buffer | string; ca?: string; headers?: Record<string, string>; method?: string} = {},
): Promise<RawResponse> {
  const target = new URL(url)
  const transport = target.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = transport.request(
      target,
      {agent: false, ca: options.ca, headers: options.headers, method: options.method ?? 'GET'},
      (res) => {
        let text = ''
        res.setEncoding('utf8').on('data', (chunk: string) => (text += chunk))
        res.on('end', () => {
          let json: unknown
          try {
            json = JSON.parse(text)
          } catch {
            json = undefined
          }

          resolve({contentType: String(res.headers['content-type'] ?? ''), json, status: res.statusCode ?? 0, text})
        })
      },
    )
    req.on('error', reject)
    req.end(options.body)
  })
}

/** POST /api/<mount>/<method> with the key of `key` sent in the given auth style. */
export async function call(
  sandbox: TestSandbox,
  method: string,
  body: Record<string, unknown> = {},
  options: {auth?: AuthStyle; base?: string; key?: KeyName; mount?: 'admin' | 'public'; secret?: string} = {},
): Promise<RawResponse> {
  const {key, secret} = await credentials(sandbox, options.key ?? 'admin')
  const useSecret = options.secret ?? secret
  const headers: Record<string, string> = {'Content-Type': 'application/json'}
  let payload = body
  switch (options.auth ?? 'body') {
    case 'body': {
      payload = {...body, api_key: key, api_key_secret: useSecret}
      break
    }

    case 'basic': {
      headers.Authorization = `Basic ${Buffer.from(`${key}:${useSecret}`).toString('base64')}`
      break
    }

    case 'headers': {
      headers['api-key'] = key
      headers['api-key-secret'] = useSecret
      break
    }

    case 'none': {
      break
    }
  }

  const base = options.base ?? webappUrl(sandbox)
  return request(`${base}/api/${options.mount ?? 'public'}/${method}`, {body: JSON.stringify(payload), headers, method: 'POST'})
}

/** Tries a WebSocket handshake; resolves with the status (101 on success) and the accept header. */
export async function websocketHandshake(url: string, options: {ca?: string; timeoutMs?: number} = {}): Promise<{accept?: string; expected: string; status: number}> {
  const key = randomBytes(16).toString('base64')
  const {acceptKey} = await import('../../../../src/lib/sandbox/simulator/websocket.js')
  const target = new URL(url)
  const transport = target.protocol === 'https:' ? https : http
  return new Promise((resolve, reject) => {
    const req = transport.request(target, {
      agent: false,
      ca: options.ca,
      headers: {Connection: 'Upgrade', 'Sec-WebSocket-Key': key, 'Sec-WebSocket-Version': '13', Upgrade: 'websocket'},
      timeout: options.timeoutMs ?? 10_000,
    })
    req.on('upgrade', (res, socket) => {
      socket.destroy()
      resolve({accept: res.headers['sec-websocket-accept'] as string | undefined, expected: acceptKey(key), status: res.statusCode ?? 0})
    })
    req.on('response', (res) => {
      res.resume()
      resolve({expected: acceptKey(key), status: res.statusCode ?? 0})
    })
    req.on('timeout', () => req.destroy(new Error('handshake timed out')))
    req.on('error', reject)
    req.end()
  })
}

/** A second web app on the sandbox's database that answers as Kasm 1.15 does (its older field names), on a free port. */
export async function startLegacyWebapp(sandbox: TestSandbox): Promise<{deployment: Deployment; url: string}> {
  const [port] = await freePorts(1)
  const {kasmappPassword, port: pgPort} = sandbox.state.postgres
  const deployment = await startDeployment({
    connectionProxies: [],
    kasmVersion: '1.15',
    pg: {database: 'kasm', host: '127.0.0.1', password: kasmappPassword, port: pgPort, user: 'kasmapp'},
    proxies: [],
    tls: sandbox.state.tls,
    webapps: [{...sandbox.state.webapps[0], port}],
  })
  return {deployment, url: `http://127.0.0.1:${port}`}
}
