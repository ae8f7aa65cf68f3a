import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {createRequire} from 'node:module'
import type {Socket} from 'node:net'
import {join} from 'node:path'
import type {Writable} from 'node:stream'

import {cacheDir, writeCacheFile} from '../cache.js'
import {proxyFor} from './proxy-env.js'
import type {EarlyAnswer} from './early-answers.js'

/**
 * A request sent by curl, for the early reads (early-read.ts). curl starts in a few ms and needs
 * ~10 ms of CPU for a whole HTTPS request; in Node the first TLS context alone costs ~21 ms on
 * Node 20, and a worker thread to hide it slowed oclif's own loading on 2 cores (bench/startup.mjs).
 *
 * It must trust and reach exactly what the API client would, or it is not used:
 * - Trust: the context's CA file, or Node's own bundled roots (written once to the cache), never
 *   curl's system store (`capath` points nowhere); `insecure` as the context says. When Node would
 *   trust more (NODE_EXTRA_CA_CERTS, --use-openssl-ca / --use-system-ca) nothing is asked early.
 * - Route: the proxy decision is proxy-env.ts's, given to curl explicitly; curl reads no
 *   environment variable and no ~/.curlrc.
 * - Secrets: the whole request is curl's config on stdin, never its command line.
 */
export interface CurlRequest {
  url: string
  body: string
  headers: Record<string, string>
  caFile?: string
  insecure?: boolean
  timeoutMs: number
}

/** curl's exit codes that mean what a Node request would also meet; any other failure is left to the client's own request. */
const NETWORK_FAILURES: Record<number, string> = {7: 'ECONNREFUSED', 28: 'ETIMEDOUT'}

/** The status line curl writes after the body: the body is everything before the last newline. */
const STATUS_SEPARATOR = '\n'

/**
 * Why curl would not make this request as the client does, if it would not: the environment makes
 * Node trust more than curl would be told to, or the proxy is one curl is not given.
 */
export function curlMismatch(request: Pick<CurlRequest, 'caFile' | 'insecure' | 'url'>, env: NodeJS.ProcessEnv = process.env, execArgv = process.execArgv): string | undefined {
  if (!request.caFile && !request.insecure) {
    if (env.NODE_EXTRA_CA_CERTS) return 'NODE_EXTRA_CA_CERTS adds CAs to the ones Node trusts'
    if (/--use-(openssl|system)-ca/.test(`${execArgv.join(' ')} ${env.NODE_OPTIONS ?? ''}`)) return 'Node trusts the system CAs'
  }

  try {
    proxyFor(new URL(request.url), env)
  } catch (error) {
    return (error as Error).message
  }

  return undefined
}

/** curl's config file for the request (`curl --config -`): every value quoted, so nothing in it is read as an option. */
export function curlConfig(request: CurlRequest, rootsFile: () => string, env: NodeJS.ProcessEnv = process.env): string {
  const {proxy} = proxyFor(new URL(request.url), env)
  const lines = [
    'silent',
    'show-error',
    'http1.1',
    'tlsv1.2',
    `max-time = ${request.timeoutMs / 1000}`,
    `url = ${quote(request.url)}`,
    'request = "POST"',
    proxy ? `proxy = ${quote(proxy.href)}` : 'noproxy = "*"',
    // curl would otherwise ask for 100-continue on larger bodies, which Node never does.
    'header = "Expect:"',
    'header = "Content-Type: application/json"',
    ...Object.entries(request.headers).map(([name, value]) => `header = ${quote(`${name}: ${value}`)}`),
    `data-binary = ${quote(request.body)}`,
    `write-out = ${quote(`${STATUS_SEPARATOR}%{http_code}`)}`,
  ]
  if (request.insecure) lines.push('insecure')
  else lines.push(`cacert = ${quote(request.caFile ?? rootsFile())}`, `capath = ${quote('/nonexistent/kasmctl-trusts-only-its-cacert')}`)
  return `${lines.join('\n')}\n`
}

/**
 * Sends the request with curl. The child never keeps the process alive until `hold(true)`: a
 * command that ends before taking the answer exits at once, and the child is killed with it.
 */
export function sendWithCurl(request: CurlRequest, env: NodeJS.ProcessEnv = process.env): {outcome: Promise<EarlyAnswer>; hold: (waiting: boolean) => void} {
  const config = curlConfig(request, () => nodeRootsFile(env), env)
  const child = spawn('curl', ['--disable', '--config', '-'], {env: {PATH: env.PATH ?? '/usr/bin:/bin'}, stdio: ['pipe', 'pipe', 'ignore']})
  const kill = (): void => void child.kill()
  process.once('exit', kill)
  // A pipe to a child is a socket, which can be unref'd like the child itself.
  const stdout = child.stdout as unknown as Socket
  const chunks: Buffer[] = []
  stdout.on('data', (chunk: Buffer) => chunks.push(chunk))
  const outcome = new Promise<EarlyAnswer>((resolve) => {
    // No curl to run: 'close' may never come, so the exit handler goes here too.
    child.on('error', () => {
      process.removeListener('exit', kill)
      resolve(undefined)
    })
    child.on('close', (code) => {
      process.removeListener('exit', kill)
      resolve(curlOutcome(code, Buffer.concat(chunks).toString('utf8')))
    })
  })
  child.stdin.on('error', () => undefined)
  endNow(child.stdin, config)
  const hold = (waiting: boolean): void => {
    for (const handle of [child, stdout]) {
      if (waiting) handle.ref()
      else handle.unref()
    }
  }

  hold(false)
  return {
    hold,
    outcome,
  }
}

/**
 * Writes the config and closes the pipe at once. curl reads its config up to the end of stdin, and
 * end() would close the pipe only once the event loop turns again: after oclif has loaded (~80 ms of
 * synchronous work), so curl would wait for all of it. A config the pipe took whole (it is far below
 * the pipe's 64 KiB) can be closed now; one it did not is ended as usual, never cut short.
 */
function endNow(stdin: Writable, config: string): void {
  stdin.write(config)
  if (stdin.writableLength === 0) stdin.destroy()
  else stdin.end()
}

/** curl's exit code and output as the client sees it. */
export function curlOutcome(code: number | null, output: string): EarlyAnswer {
  if (code !== 0) {
    const failure = code === null ? undefined : NETWORK_FAILURES[code]
    return failure ? {failure: {code: failure, message: `curl exited with ${code} (${failure})`}} : undefined
  }

  const at = output.lastIndexOf(STATUS_SEPARATOR)
  const status = Number(output.slice(at + 1))
  // 000: no HTTP answer at all, which curl reports with a failing exit code anyway.
  return at === -1 || !Number.isInteger(status) || status < 100 ? undefined : {body: output.slice(0, at), status}
}

/**
 * Node's bundled root CAs as a PEM file for curl, written once per Node version to the cache:
 * the CAs Node trusts when a context names no CA file.
 */
export function nodeRootsFile(env: NodeJS.ProcessEnv = process.env): string {
  const file = join(cacheDir(env), `node-${process.version}-root-cas.pem`)
  if (!existsSync(file)) {
    const {rootCertificates} = createRequire(import.meta.url)('node:tls') as typeof import('node:tls')
    if (!writeCacheFile(file, `${rootCertificates.join('\n')}\n`)) throw new Error(`cannot write ${file}`)
  }

  return file
}

/** A value in curl's config syntax: double quotes, with backslash escapes for what it knows. */
function quote(value: string): string {
  const escapes: Record<string, string> = {'\n': '\\n', '\r': '\\r', '\t': '\\t', '\v': '\\v', '"': '\\"', '\\': '\\\\'}
  return `"${value.replaceAll(/[\n\r\t\v"\\]/g, (c) => escapes[c])}"`
}
