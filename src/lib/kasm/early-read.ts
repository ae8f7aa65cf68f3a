import {createRequire} from 'node:module'

import type {GlobalFlagSpec} from '../argv.js'
import {leadingGlobalFlags} from '../argv.js'
import type {HttpResponse} from './transport.js'
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
  worker.on('error', () => undefined)
  const pending = new Map<string, {resolve: (answer: HttpResponse) => void; reject: (error: Error) => void}>()
  worker.on('message', async (message: EarlyReadMessage) => {
    if (message.type === 'asked') {
      const answer = new Promise<HttpResponse>((resolve, reject) => pending.set(message.key, {reject, resolve}))
      answer.catch(() => undefined)
      offerEarlyAnswer(message.key, () => {
        // The command waits for this answer now: the worker must keep the process alive until it comes.
        if (pending.has(message.key)) worker.ref()
        return answer
      })
      return
    }

    const waiting = pending.get(message.key)
    pending.delete(message.key)
    if (pending.size === 0) worker.unref()
    if (message.type === 'answer') {
      waiting?.resolve(message.response)
    } else {
      // The client retries a network failure like one of its own.
      const {NetworkError} = await import('./transport.js')
      waiting?.reject(new NetworkError(message.message, message.code))
    }
  })
}

/** What the worker tells: a request it sent (with its key), then the answer or the network failure. */
export type EarlyReadMessage =
  | {type: 'asked'; key: string}
  | {type: 'answer'; key: string; response: HttpResponse}
  | {type: 'failed'; key: string; code: string; message: string}
