/**
 * The sandbox test harness: one real sandbox (PostgreSQL + the API simulator daemon) per Kasm
 * version per mocha process (each parallel worker has its own), started lazily by the first test
 * that asks for it, in the run's directory, and stopped when the run ends (test/setup.ts).
 * Tests that change state call `sandbox.reset()` first.
 *
 *   const sandbox = await useSandbox()                         // Kasm 1.19, the default
 *   const old = await useSandbox({kasmVersion: '1.15'})        // another variant, its own sandbox
 *   for (const kasmVersion of KASM_VERSIONS) describe(...)     // a contract test on every variant
 */
import {mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type pg from 'pg'

import type {ContextConfig} from '../../src/lib/config/types.js'
import type {KasmClient} from '../../src/lib/kasm/client.js'
import type {KasmVersion} from '../../src/lib/kasm/version.js'
import type {Fault, SandboxState} from '../../src/lib/sandbox/contract.js'
import {baseEnv} from './cli.js'

export interface TestSandbox {
  dir: string
  /** The Kasm version this sandbox imitates (schema, seed and API). */
  kasmVersion: KasmVersion
  state: SandboxState
  /** Env for running the CLI against this sandbox: KASMCTL_CONFIG (a config file with the `sandbox` context as current),
   *  XDG_CONFIG_HOME, XDG_DATA_HOME, KASMCTL_SANDBOX_DIR, NO_COLOR=1. */
  env: NodeJS.ProcessEnv
  /** The `sandbox` ContextConfig written by `sandbox up`. */
  context: ContextConfig
  /** An API client for the admin key (default), the read-only key or the ZONES_VIEW-only key. Caller closes it. */
  client(key?: keyof SandboxState['apiKeys']): Promise<KasmClient>
  /** A pg.Client connected to database kasm as the superuser (caller ends it). */
  db(): Promise<pg.Client>
  /** Back to the seeded state: clears faults, re-seeds the database from its template, restarts stopped
   *  web apps, restores host config files. */
  reset(): Promise<void>
  fault(f: Fault): Promise<void>
  clearFaults(): Promise<void>
  stopWebapp(name: string): Promise<void>
  startWebapp(name: string): Promise<void>
  stopDatabase(): Promise<void>
  startDatabase(): Promise<void>
  /** Runs one live-loop tick now (agent check-ins, session expiry). */
  tick(): Promise<void>
}

export interface SandboxOptions {
  /** Default '1.19'. Each version is a sandbox of its own, started on first use. */
  kasmVersion?: KasmVersion
}

/** The directory of this test run (test/setup.ts), which the parallel workers inherit: every sandbox lives under it. */
export const RUN_DIR = 'KASMCTL_TEST_RUN_DIR'

/** The running sandboxes of this mocha process, by version, with the temp dir each lives in. */
const sandboxes = new Map<KasmVersion, {sandbox: Promise<TestSandbox>; root: Promise<string>}>()

/** The shared sandbox of this mocha process for that Kasm version (default 1.19), started on first use. */
export async function useSandbox(options: SandboxOptions = {}): Promise<TestSandbox> {
  const kasmVersion = options.kasmVersion ?? '1.19'
  let entry = sandboxes.get(kasmVersion)
  if (!entry) {
    const root = mkdtemp(join(process.env[RUN_DIR] ?? tmpdir(), `kasmctl-test-${kasmVersion}-`))
    entry = {
      root,
      sandbox: root.then((dir) => startSandbox(dir, kasmVersion)).catch(async (error) => {
        sandboxes.delete(kasmVersion)
        await rm(await root, {force: true, recursive: true})
        throw error
      }),
    }
    sandboxes.set(kasmVersion, entry)
  }

  return entry.sandbox
}

/**
 * Stops every sandbox under a run's directory, whichever process started it (daemon and PostgreSQL), and removes it:
 * the parallel workers' sandboxes outlive the files that used them, and the workers too.
 */
export async function stopSandboxesUnder(runDir: string): Promise<void> {
  const {sandboxDown} = await import('../../src/lib/sandbox/manager.js')
  const failures: string[] = []
  for (const root of await readdir(runDir).catch(() => [])) {
    await sandboxDown(join(runDir, root, 'sandbox'), {purge: true}).catch((error: Error) => failures.push(`${root}: ${error.message}`))
  }

  await rm(runDir, {force: true, recursive: true})
  if (failures.length > 0) throw new Error(`sandboxes not stopped:\n${failures.join('\n')}`)
}

async function startSandbox(root: string, kasmVersion: KasmVersion): Promise<TestSandbox> {
  const [manager, control, postgres] = await Promise.all([
    import('../../src/lib/sandbox/manager.js'),
    import('../../src/lib/sandbox/control.js'),
    import('../../src/lib/sandbox/postgres.js'),
  ])
  const dir = join(root, 'sandbox')
  const env = baseEnv({
    KASMCTL_CONFIG: join(root, 'config', 'kasmctl', 'config.yaml'),
    KASMCTL_SANDBOX_DIR: dir,
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_DATA_HOME: join(root, 'data'),
  })
  const {context, state} = await manager.sandboxUp({configPath: env.KASMCTL_CONFIG!, dir, kasmVersion, useContext: true})
  stopOnInterrupt(state, postgres.postgresPid, () => sandboxes.has(kasmVersion))
  const call = (method: 'DELETE' | 'GET' | 'POST', path: string, body?: unknown) => control.controlRequest(state, method, path, body)

  return {
    clearFaults: async () => {
      await call('DELETE', '/faults')
    },
    async client(key = 'admin') {
      const {KasmClient} = await import('../../src/lib/kasm/client.js')
      const apiKey = state.apiKeys[key]
      return KasmClient.fromContext({...context, api: {...context.api, key: apiKey.key, secret: {file: apiKey.secretFile}}})
    },
    context,
    db: () => postgres.connectSuperuser(state, 'kasm'),
    dir,
    env,
    kasmVersion,
    fault: async (f) => {
      await call('POST', '/faults', f)
    },
    reset: () => manager.sandboxReset(state),
    startDatabase: () => postgres.startPostgres(state),
    startWebapp: async (name) => {
      await call('POST', `/webapps/${encodeURIComponent(name)}/start`)
    },
    state,
    stopDatabase: () => postgres.stopPostgres(state),
    stopWebapp: async (name) => {
      await call('POST', `/webapps/${encodeURIComponent(name)}/stop`)
    },
    tick: async () => {
      await call('POST', '/tick')
    },
  }
}

/**
 * Mocha has no SIGINT handling, so Ctrl-C would skip the root hook and leave the sandbox running:
 * signal the daemon and the postmaster (fast shutdown) first, then die of the same signal.
 */
function stopOnInterrupt(state: SandboxState, postgresPid: (state: SandboxState) => number | undefined, running: () => boolean): void {
  const onSignal = (signal: NodeJS.Signals) => {
    for (const [pid, how] of [
      [state.daemon.pid, 'SIGTERM'],
      [postgresPid(state), 'SIGINT'],
    ] as const) {
      try {
        if (pid && running()) process.kill(pid, how)
      } catch {
        // already gone
      }
    }

    process.removeListener('SIGINT', onSignal)
    process.removeListener('SIGTERM', onSignal)
    process.kill(process.pid, signal)
  }

  process.once('SIGINT', onSignal)
  process.once('SIGTERM', onSignal)
}
