import {type ChildProcess, spawn, type StdioOptions} from 'node:child_process'
import {accessSync, constants, statSync} from 'node:fs'
import {delimiter, join} from 'node:path'
import {createInterface} from 'node:readline'

import {processStartTime} from './proc.js'

/**
 * The one way kasmctl starts child processes. Every child:
 * - leads its own process group (so a stop reaches what it forked, and a terminal's Ctrl-C reaches
 *   kasmctl alone, which stops its children at a safe point);
 * - is killed with its group when kasmctl exits, whatever the reason it exits;
 * - gets SIGKILL from the kernel if kasmctl dies without exiting (kill -9), through util-linux's
 *   `setpriv --pdeathsig KILL` (PR_SET_PDEATHSIG) wherever setpriv is installed;
 * - is listed in `liveChildren()`, which a lock file records (src/lib/lock.ts) so that the run that
 *   takes over a dead holder's lock first ends what the holder left running (its grandchildren,
 *   which the kernel's death signal does not reach).
 * child_process directly, not execa: `backup create` would pay its ~80 ms of module loading.
 */

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
  /** Set when the process could not be started (ENOENT...). */
  error?: Error
}

/** A running child: its exit awaited from the start (no event can be missed) and the tail of its stderr. */
export interface Child {
  name: string
  process: ChildProcess
  exited: Promise<ExitInfo>
  stderrTail(): string
  /** Signals the child's whole process group if the child still runs (SIGTERM by default). */
  stop(signal?: NodeJS.Signals): void
}

/** A child as a lock file records it: the pid (also its process group id) and its start time. */
export interface ChildRecord {
  pid: number
  start?: number
}

const STDERR_TAIL = 4000
const live = new Map<number, ChildRecord>()
const watchers = new Set<(children: ChildRecord[]) => void>()
let exitHookInstalled = false

export function liveChildren(): ChildRecord[] {
  return [...live.values()]
}

/** Calls `watcher` with the live children whenever one starts or ends. Returns the unsubscribe function. */
export function watchChildren(watcher: (children: ChildRecord[]) => void): () => void {
  watchers.add(watcher)
  return () => watchers.delete(watcher)
}

function changed(): void {
  const children = liveChildren()
  for (const watcher of watchers) watcher(children)
}

/** On exit, whatever the path to it (an error, process.exit, a second Ctrl-C): no child outlives kasmctl. */
function killAllOnExit(): void {
  for (const {pid} of live.values()) {
    try {
      process.kill(-pid, 'SIGKILL')
    } catch {
      // already gone
    }
  }
}

let deathSignalWrapper: string | null | undefined
/** setpriv when it can give the child a parent-death signal (Linux with util-linux), else null. */
function setpriv(): string | null {
  if (deathSignalWrapper === undefined) {
    deathSignalWrapper = process.platform === 'linux' ? (findExecutable('setpriv', {PATH: `${process.env.PATH ?? ''}${delimiter}/usr/bin${delimiter}/bin`}) ?? null) : null
  }

  return deathSignalWrapper
}

export interface StartChildOptions {
  env?: NodeJS.ProcessEnv
  stdio: StdioOptions
  cwd?: string
  /** Run as this user (root only). */
  user?: {uid: number; gid: number}
}

export function startChild(name: string, file: string, args: string[], options: StartChildOptions): Child {
  const env = options.env ?? process.env
  // Resolved first: a missing program must stay a spawn error (ENOENT), not setpriv's exit 127.
  const resolved = file.includes('/') ? file : findExecutable(file, env)
  const wrapper = resolved ? setpriv() : null
  const [command, argv] = wrapper ? [wrapper, ['--pdeathsig', 'KILL', '--', resolved!, ...args]] : [file, args]
  const child = spawn(command, argv, {cwd: options.cwd, detached: true, env, stdio: options.stdio, ...options.user})
  const {pid} = child
  if (pid !== undefined) {
    live.set(pid, {pid, start: processStartTime(pid)})
    if (!exitHookInstalled) {
      process.on('exit', killAllOnExit)
      exitHookInstalled = true
    }

    changed()
  }

  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL)
  })
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (error) => resolve({code: null, error, signal: null}))
    child.once('close', (code, signal) => resolve({code, signal}))
  })
  child.once('exit', () => {
    if (pid !== undefined && live.delete(pid)) changed()
  })
  const stop = (signal: NodeJS.Signals = 'SIGTERM'): void => {
    if (pid === undefined || child.exitCode !== null || child.signalCode !== null) return
    try {
      process.kill(-pid, signal)
    } catch {
      child.kill(signal)
    }
  }

  return {exited, name, process: child, stderrTail: () => stderr.trim(), stop}
}

export interface RunChildOptions {
  env?: NodeJS.ProcessEnv
  cwd?: string
  user?: StartChildOptions['user']
  /** Written to stdin (else stdin is /dev/null). */
  input?: string
  /** Stops the child (SIGTERM, then SIGKILL 2 s later) after this long; `timedOut` says so. */
  timeoutMs?: number
  /** Aborting stops the child the same way. */
  signal?: AbortSignal
  /** Each output line (stdout and stderr) as it comes. */
  onLine?: (line: string) => void
}

export interface ChildRun {
  exit: ExitInfo
  stdout: string
  stderr: string
  timedOut: boolean
}

/** Runs a command to completion and returns its whole output. */
export async function runChild(name: string, file: string, args: string[], options: RunChildOptions = {}): Promise<ChildRun> {
  const child = startChild(name, file, args, {cwd: options.cwd, env: options.env, user: options.user, stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']})
  let stdout = ''
  let stderr = ''
  child.process.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.process.stderr!.on('data', (chunk: string) => (stderr += chunk))
  if (options.onLine) {
    for (const stream of [child.process.stdout!, child.process.stderr!]) createInterface({crlfDelay: Infinity, input: stream}).on('line', options.onLine)
  }

  if (options.input !== undefined) {
    child.process.stdin!.on('error', () => undefined) // the command may exit before reading it
    child.process.stdin!.end(options.input)
  }

  let timedOut = false
  let killer: NodeJS.Timeout | undefined
  const end = (): void => {
    child.stop()
    killer ??= setTimeout(() => child.stop('SIGKILL'), 2000)
  }

  const timer = options.timeoutMs === undefined ? undefined : setTimeout(() => ((timedOut = true), end()), options.timeoutMs)
  options.signal?.addEventListener('abort', end)
  if (options.signal?.aborted) end()
  try {
    const exit = await child.exited
    return {exit, stderr, stdout, timedOut}
  } finally {
    clearTimeout(timer)
    clearTimeout(killer)
    options.signal?.removeEventListener('abort', end)
  }
}

/** Why a child failed ("pg_dump was killed by SIGKILL", "pg_dump exited with 1: <its last error line>"), or undefined if it succeeded. */
export function failureOf(child: Pick<Child, 'name' | 'stderrTail'>, exit: ExitInfo): string | undefined {
  if (exit.error) return `cannot run ${child.name}: ${(exit.error as NodeJS.ErrnoException).code ?? exit.error.message}`
  if (exit.signal) return `${child.name} was killed by ${exit.signal}`
  if (exit.code !== 0) {
    const lines = child.stderrTail().split('\n').filter((line) => line.trim() !== '')
    const detail = lines.filter((line) => /error|fatal|could not|failed/i.test(line)).at(-1) ?? lines.at(-1)
    return `${child.name} exited with ${exit.code}${detail ? `: ${detail.trim()}` : ''}`
  }

  return undefined
}

/** The first executable file named `name` on the PATH (a file without an execute bit, or a directory, is passed over). */
export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue
    const candidate = join(dir, name)
    try {
      accessSync(candidate, constants.X_OK)
      if (statSync(candidate).isFile()) return candidate
    } catch {
      // not there, or not executable
    }
  }

  return undefined
}
