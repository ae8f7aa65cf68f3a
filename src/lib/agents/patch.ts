import {constants} from 'node:os'

import type {HostEntry} from '../config/types.js'
import {UsageError} from '../errors.js'
import {runChild} from '../process/children.js'
import {runOnHost, shellQuote} from '../remote/index.js'

/** Values for the placeholders of a patch command. */
export interface PatchVars {
  host: string
  agent_id: string
}

export interface PatchCommand {
  /** The command as the operator wrote it, with `{host}` / `{agent_id}` placeholders. */
  command: string
  /** Run through `sh -c` (placeholders shell-quoted) instead of splitting into argv. */
  shell: boolean
  /** Run on the agent's host over SSH (this host entry) instead of locally. */
  host?: HostEntry
}

export interface PatchResult {
  exitCode: number
  /** The last lines of stdout and stderr, to show when the command failed. */
  tail: string[]
}

const PLACEHOLDER = /\{(host|agent_id)\}/g
const TAIL_LINES = 20

/**
 * Splits a command line into argv the way a POSIX shell does for quotes and backslashes, and
 * nothing else: no variables, globs, pipes or redirections (ask for those with --shell).
 */
export function splitCommand(command: string): string[] {
  const argv: string[] = []
  let word: string | undefined
  let quote: '"' | "'" | undefined
  for (let i = 0; i < command.length; i++) {
    const char = command[i]
    if (quote) {
      if (char === quote) quote = undefined
      else if (char === '\\' && quote === '"' && /["\\$`]/.test(command[i + 1] ?? '')) word += command[++i]
      else word += char
    } else if (char === "'" || char === '"') {
      quote = char
      word ??= ''
    } else if (char === '\\' && i + 1 < command.length) {
      word = (word ?? '') + command[++i]
    } else if (/\s/.test(char)) {
      if (word !== undefined) argv.push(word)
      word = undefined
    } else {
      word = (word ?? '') + char
    }
  }

  if (quote) throw new UsageError(`--exec "${command}" has an unclosed ${quote} quote`)
  if (word !== undefined) argv.push(word)
  if (argv.length === 0) throw new UsageError('--exec needs a command, e.g. --exec "ssh root@{host} apt-get -y upgrade"')
  return argv
}

/** Fills the placeholders; in a shell command line the values are quoted so a hostname cannot inject code. */
export function expandPlaceholders(text: string, vars: PatchVars, quote = false): string {
  return text.replaceAll(PLACEHOLDER, (_, name: keyof PatchVars) => (quote ? shellQuote(vars[name]) : vars[name]))
}

/** The argv that will run (for plans, events and errors). */
export function patchArgv(patch: PatchCommand, vars: PatchVars): string[] {
  if (patch.shell) return ['sh', '-c', expandPlaceholders(patch.command, vars, true)]
  return splitCommand(patch.command).map((arg) => expandPlaceholders(arg, vars))
}

/**
 * Runs the patch command for one agent: locally without a shell (unless `shell`), or on the agent's
 * host over SSH. Output lines go to `onLine` as they come (locally) or at the end (SSH).
 * A command that cannot start, or a host ssh cannot reach, is a failed patch (exit 127 / 255).
 */
export async function runPatch(patch: PatchCommand, vars: PatchVars, options: {signal?: AbortSignal; onLine?: (line: string) => void} = {}): Promise<PatchResult> {
  const argv = patchArgv(patch, vars)
  const tail: string[] = []
  const keep = (line: string) => {
    tail.push(line)
    if (tail.length > TAIL_LINES) tail.shift()
    options.onLine?.(line)
  }

  if (patch.host) {
    try {
      const result = await runOnHost(patch.host, argv, {hangUpWithClient: true, signal: options.signal})
      for (const line of `${result.stdout}${result.stderr}`.split('\n').filter((l) => l !== '')) keep(line)
      return {exitCode: result.exitCode, tail}
    } catch (error) {
      keep((error as Error).message)
      return {exitCode: 255, tail}
    }
  }

  const {exit} = await runChild(argv[0], argv[0], argv.slice(1), {onLine: keep, signal: options.signal})
  if (exit.error) {
    keep(`cannot start ${argv[0]}: ${(exit.error as NodeJS.ErrnoException).code ?? exit.error.message}`)
    return {exitCode: 127, tail}
  }

  return {exitCode: exit.code ?? 128 + (exit.signal ? (constants.signals[exit.signal] ?? 0) : 0), tail}
}
