import type {GlobalFlagSpec} from '../argv.js'
import {leadingGlobalFlags} from '../argv.js'
import {HEALTH_ROLES_READING_ZONES, type HealthRole} from '../health/types.js'

/**
 * The reads each read-only API command starts with, by command: bin/run.js has curl ask them
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
 * Asks the command's first reads while oclif loads (early-send.ts), when the command line names a
 * command that has some. This module decides with string work only: it is loaded on every start.
 */
export async function startEarlyReads(argv: readonly string[]): Promise<void> {
  const wanted = earlyReadsFor(argv)
  if (!wanted) return
  const {sendEarlyReads} = await import('./early-send.js')
  await sendEarlyReads(wanted)
}
