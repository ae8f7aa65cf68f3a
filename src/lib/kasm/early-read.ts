import {createRequire} from 'node:module'

import type {GlobalFlagSpec} from '../argv.js'
import {leadingGlobalFlags} from '../argv.js'
import type {HttpResponse} from './transport.js'
import {HEALTH_ROLES_READING_ZONES, type HealthRole} from '../health/types.js'
import {offerEarlyAnswer} from './early-answers.js'

/**
 * The reads each read-only API command starts with, by command: bin/run.js has a worker ask them
 * while oclif loads (~100 ms), so the TLS set-up, the handshake and Kasm's answer overlap start-up
 * instead of following it (bench/startup.mjs). Only reads whose body depends on no flag belong here;
 * test/lib/kasm/early-read.test.ts checks that each command really asks these first.
 */
export const FIRST_READS: Readonly<Record<string, readonly EarlyRead[]>> = {
  'agent capacity': [read('get_kasms'), read('get_servers'), read('get_images')],
  'agent list': [read('get_kasms'), read('get_servers')],
  'autoscale list': [read('get_autoscale_configs'), read('get_server_pools'), read('get_zones', {brief: true})],
  'autoscale status': [read('get_autoscale_configs'), read('get_server_pools'), read('get_zones', {brief: true})],
  health: [read('get_zones', {brief: true})],
  'pool list': [read('get_autoscale_configs'), read('get_server_pools'), read('get_zones', {brief: true})],
  'session list': [read('get_servers'), read('get_kasms')],
  'zone export': [read('get_zones'), read('get_autoscale_configs'), read('get_server_pools')],
  'zone get': [read('get_zones')],
  'zone lint': [read('get_zones'), read('get_autoscale_configs'), read('get_server_pools')],
  'zone list': [read('get_zones')],
}

/** Commands whose first reads depend on the command line: whether they ask them at all. */
const ASKS_WHEN: Readonly<Record<string, (tokens: readonly string[]) => boolean>> = {
  // Only when a role it checks reads the brief zones: health --role db|webapp|backup asks Kasm nothing early.
  health(tokens) {
    const roles = tokens.flatMap((token, index) =>
      token === '--role' ? (tokens[index + 1] ?? '').split(',') : token.startsWith('--role=') ? token.slice(7).split(',') : [],
    )
    return roles.length === 0 || tokens.includes('--all') || roles.some((role) => HEALTH_ROLES_READING_ZONES.includes(role as HealthRole))
  },
}

/** A read: an API method and its body (credentials aside). */
export interface EarlyRead {
  method: string
  body: Record<string, unknown>
}

function read(method: string, body: Record<string, unknown> = {}): EarlyRead {
  return {body, method}
}

/** The global flags that may come before the command words (the base command's, see globalFlagSpecs()). */
export const LEADING_FLAGS: Record<string, GlobalFlagSpec> = {
  context: {takesValue: true},
  json: {takesValue: false},
  output: {char: 'o', takesValue: true},
  verbose: {takesValue: false},
}

/** What to ask early for this command line: the reads and the --context given, if any. */
export function earlyReadsFor(argv: readonly string[]): {reads: readonly EarlyRead[]; context?: string} | undefined {
  const end = argv.includes('--') ? argv.indexOf('--') : argv.length
  const tokens = argv.slice(0, end)
  const start = leadingGlobalFlags(tokens, LEADING_FLAGS)
  const words: string[] = []
  for (const token of tokens.slice(start)) {
    if (token.startsWith('-')) break
    words.push(token)
  }

  const command = [2, 1].map((length) => words.slice(0, length).join(' ')).find((id) => FIRST_READS[id])
  if (!command) return undefined
  const contexts = tokens.flatMap((token, index) => (token === '--context' ? [tokens[index + 1]] : token.startsWith('--context=') ? [token.slice(10)] : []))
  // --context twice or without a value is the parser's to reject: nothing is asked for it.
  if (contexts.length > 1 || contexts.includes(undefined as unknown as string)) return undefined
  if (ASKS_WHEN[command] && !ASKS_WHEN[command](tokens)) return undefined
  return {context: contexts[0], reads: FIRST_READS[command]}
}

/**
 * Starts the command's first reads in a worker thread, which never keeps the process alive: a
 * command that fails before asking (a usage error) exits at once. The command's client takes an
 * answer (early-answers.ts) only for the very same request; a worker that fails (no context, a bad
 * secret file) offers nothing, and the command finds and reports the problem itself.
 */
export function startEarlyReads(argv: readonly string[]): void {
  const wanted = earlyReadsFor(argv)
  if (!wanted) return
  const {Worker} = createRequire(import.meta.url)('node:worker_threads') as typeof import('node:worker_threads')
  const worker = new Worker(new URL('early-read-worker.js', import.meta.url), {stderr: true, stdout: true, workerData: wanted})
  worker.unref()
  const relay = new EarlyReadRelay((waiting) => (waiting ? worker.ref() : worker.unref()))
  worker.on('message', (message: EarlyReadMessage) => relay.onMessage(message))
  worker.on('error', () => undefined)
  worker.on('exit', () => relay.onExit())
}

/**
 * Offers the worker's answers to the client as they are asked, and holds the process open (through
 * `hold`) only while the command waits for one. An answer the worker never gives (it ended) fails
 * as a network error: the client then retries with a request of its own.
 */
export class EarlyReadRelay {
  private readonly pending = new Map<string, {resolve: (answer: HttpResponse) => void; reject: (error: Error) => void}>()
  private readonly hold: (waiting: boolean) => void

  constructor(hold: (waiting: boolean) => void) {
    this.hold = hold
  }

  onMessage(message: EarlyReadMessage): void {
    if (message.type === 'asked') {
      const answer = new Promise<HttpResponse>((resolve, reject) => this.pending.set(message.key, {reject, resolve}))
      answer.catch(() => undefined)
      offerEarlyAnswer(message.key, () => {
        if (this.pending.has(message.key)) this.hold(true)
        return answer
      })
    } else if (message.type === 'answer') {
      this.settle(message.key)?.resolve(message.response)
    } else {
      void this.fail(message.key, message.message, message.code)
    }
  }

  async onExit(): Promise<void> {
    await Promise.all([...this.pending.keys()].map((key) => this.fail(key, 'the early read ended without an answer', 'ERR_EARLY_READ')))
  }

  private async fail(key: string, message: string, code: string): Promise<void> {
    const {NetworkError} = await import('./transport.js')
    this.settle(key)?.reject(new NetworkError(message, code))
  }

  private settle(key: string): {resolve: (answer: HttpResponse) => void; reject: (error: Error) => void} | undefined {
    const waiting = this.pending.get(key)
    this.pending.delete(key)
    if (this.pending.size === 0) this.hold(false)
    return waiting
  }
}

/** What the worker tells: a request it sent (with its key), then the answer or the network failure. */
export type EarlyReadMessage =
  | {type: 'asked'; key: string}
  | {type: 'answer'; key: string; response: HttpResponse}
  | {type: 'failed'; key: string; code: string; message: string}
