import {type ChildProcess, type ChildProcessWithoutNullStreams, spawn} from 'node:child_process'
import {resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

export interface CliResult {
  stdout: string
  stderr: string
  exitCode: number
}

export interface RunCliOptions {
  /** Environment of the CLI process (e.g. `sandbox.env`); merged over nothing but PATH/HOME when given. */
  env?: NodeJS.ProcessEnv
  /** Written to stdin, which is a pipe (never a TTY) either way. */
  input?: string
  /** Kills the CLI after this long (default 60 s) and fails the test with what it printed. */
  timeoutMs?: number
  /** The entry point, for a test of bin/run.js itself (default: KASMCTL_TEST_BIN, else bin/run.js). */
  bin?: string
  /** Receives the CLI's process as soon as it starts, e.g. to signal it mid-run. */
  onSpawn?: (child: ChildProcess) => void
}

/**
 * Runs kasmctl as a user would: `node bin/run.js` (the built CLI) or the entry point named by
 * KASMCTL_TEST_BIN (e.g. bin/dev.js to run the TypeScript sources through tsx). stdin is never a TTY.
 */
export async function runCli(args: string[], options: RunCliOptions = {}): Promise<CliResult> {
  return startCli(args, options).result
}

export interface StartedCli {
  /** The kasmctl process, for tests that signal it (Ctrl-C, kill -9) while it runs. */
  child: ChildProcessWithoutNullStreams
  /** Everything printed so far (grows while the process runs). */
  output(): {stdout: string; stderr: string}
  /** Settles when the process has exited (and been reaped). */
  result: Promise<CliResult>
}

/** Like runCli, but returns at once with the running process. */
export function startCli(args: string[], options: RunCliOptions = {}): StartedCli {
  const bin = resolve(ROOT, options.bin ?? process.env.KASMCTL_TEST_BIN ?? 'bin/run.js')
  const execArgv = bin.endsWith('dev.js') ? ['--import', 'tsx'] : []
  const env: NodeJS.ProcessEnv = {...(options.env ?? baseEnv())}
  // A debug variable inherited from the developer's shell would change the output under test.
  delete env.KASMCTL_DEBUG

  const child = spawn(process.execPath, [...execArgv, bin, ...args], {cwd: ROOT, env, stdio: ['pipe', 'pipe', 'pipe']})
  options.onSpawn?.(child)
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
  child.stdin.on('error', () => {}) // the CLI may exit before reading its input
  child.stdin.end(options.input ?? '')

  const timeoutMs = options.timeoutMs ?? 60_000
  const result = new Promise<CliResult>((resolvePromise, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      reject(new Error(`kasmctl ${args.join(' ')} did not finish within ${timeoutMs} ms\nstdout: ${stdout}\nstderr: ${stderr}`))
    }, timeoutMs)
    child.on('error', (error) => {
      clearTimeout(timer)
      reject(error)
    })
    child.on('close', (code, signal) => {
      clearTimeout(timer)
      resolvePromise({exitCode: code ?? (signal ? 128 : 1), stderr, stdout})
    })
  })
  return {child, output: () => ({stderr, stdout}), result}
}

/** A minimal environment with no kasmctl variables: tests pass `sandbox.env` or build on this. */
export function baseEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const {HOME, LANG, PATH, TMPDIR} = process.env
  return {HOME, LANG, NO_COLOR: '1', PATH, TMPDIR, ...extra}
}
