import {randomBytes} from 'node:crypto'
import {mkdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {configPath as defaultConfigPath} from '../config/paths.js'
import {loadConfig, saveConfig, upsertContext} from '../config/store.js'
import type {ContextConfig} from '../config/types.js'
import {UnavailableError, UsageError} from '../errors.js'
import {writeFileAtomic} from '../fs-util.js'
import type {SandboxState} from './contract.js'
import {controlRequest, type ControlStatus} from './control.js'
import {spawnDaemon} from './daemon.js'
import {DB_HOST, PROXY_HOSTS, appConfigPath, kasmRoot, proxyConfigPath, writeHosts} from './hosts.js'
import {SUPERUSER, connectSuperuser, findPgBinDir, initCluster, postgresPid, removeCluster, startPostgres, stopPostgres} from './postgres.js'
import {schemaFor} from './schema.js'
import {AGENTS, API_KEY_NAMES, CONNECTION_PROXIES, WEBAPPS, type SeedResult, seedDatabase, shiftSeedDates} from './seed.js'
import {processAlive, readState, writeState} from './state.js'
import {ensureCertificates} from './tls.js'
import {freePorts} from '../net.js'

/**
 * The sandbox lifecycle behind `kasmctl sandbox up|down|status|reset` and the test harness.
 * Every step reports through `onStep` so commands can show progress without this module knowing how.
 */

export const CONTEXT_NAME = 'sandbox'

export interface UpOptions {
  dir: string
  kasmVersion?: SandboxState['kasmVersion']
  /** Config file to write the `sandbox` context into (default: the user's). */
  configPath?: string
  /** Make `sandbox` the current context even when another one is current. */
  useContext?: boolean
  onStep?: (step: string) => void
}

export interface UpResult {
  state: SandboxState
  context: ContextConfig
  alreadyRunning: boolean
  /** The context was made current (none was, or --use-context). */
  madeCurrent: boolean
  elapsedMs: number
}

const seedPath = (dir: string): string => join(dir, 'seed.json')
const secretPath = (dir: string, name: string): string => join(dir, 'secrets', name)

/**
 * The state of a running sandbox (its daemon alive; PostgreSQL may be stopped on purpose, as
 * `sandbox fault db-stop` does), else an UnavailableError saying what to run.
 */
export async function runningState(dir: string): Promise<SandboxState> {
  const state = await readState(dir)
  if (!state) throw new UnavailableError(`there is no sandbox in ${dir}`, {hint: 'run `kasmctl sandbox up`'})
  if (!processAlive(state.daemon.pid)) {
    throw new UnavailableError(`the sandbox in ${dir} is not running`, {hint: 'run `kasmctl sandbox up` (it cleans up what is left and starts afresh)'})
  }

  return state
}

/** True when PostgreSQL and the daemon are both alive. */
export function isRunning(state: SandboxState): boolean {
  return Boolean(postgresPid(state)) && processAlive(state.daemon.pid)
}

/** A running sandbox keeps its Kasm version: another one is a usage error saying how to switch. */
function checkSameVersion(existing: SandboxState, requested: SandboxState['kasmVersion'] | undefined): void {
  if (requested && requested !== existing.kasmVersion) {
    throw new UsageError(`the sandbox in ${existing.dir} already runs Kasm ${existing.kasmVersion}, not ${requested}`, {
      hint: `run \`kasmctl sandbox down\` first, then \`kasmctl sandbox up --kasm-version ${requested}\``,
    })
  }
}

export interface UpPlan {
  dir: string
  /** As `sandbox status` reads it now. */
  state: SandboxStatus['state']
  kasmVersion: SandboxState['kasmVersion']
  /** What `sandbox up` would do, in order. */
  steps: string[]
}

/** What sandboxUp would do, changing nothing (`sandbox up --dry-run`); the same version check. */
export async function planSandboxUp(options: Pick<UpOptions, 'dir' | 'kasmVersion'>): Promise<UpPlan> {
  const {dir} = options
  const existing = await readState(dir)
  const current = await sandboxStatus(dir)
  const daemonAlive = Boolean(existing && processAlive(existing.daemon.pid))
  if (existing && daemonAlive) checkSameVersion(existing, options.kasmVersion)

  const context = `write the "${CONTEXT_NAME}" context to the config`
  const kasmVersion = (daemonAlive && existing?.kasmVersion) || (options.kasmVersion ?? '1.19')
  if (existing && daemonAlive) {
    const steps = postgresPid(existing) ? [] : ['start PostgreSQL, stopped on purpose (sandbox fault db-stop)']
    return {dir, kasmVersion, state: current.state, steps: [...steps, context]}
  }

  return {
    dir, kasmVersion, state: current.state,
    steps: [
      ...(existing ? ['clean up the sandbox that is no longer running'] : []),
      `create the TLS certificates and a PostgreSQL cluster in ${dir}, seeded like Kasm ${kasmVersion}`,
      `start the daemon: the API simulator web apps (${WEBAPPS.join(', ')}) and the reverse proxies (${PROXY_HOSTS.map((p) => p.name).join(', ')})`,
      context,
    ],
  }
}

/** Brings the sandbox up (idempotent): fresh cluster, seed, host dirs, daemon, context. */
export async function sandboxUp(options: UpOptions): Promise<UpResult> {
  const started = performance.now()
  const step = options.onStep ?? (() => {})
  const {dir} = options
  // A config file kasmctl cannot read would fail the last step: fail before starting anything.
  await loadConfig(options.configPath ?? defaultConfigPath())
  const existing = await readState(dir)
  if (existing && processAlive(existing.daemon.pid) && !postgresPid(existing)) {
    step('starting PostgreSQL, stopped on purpose (sandbox fault db-stop)')
    await startPostgres(existing)
    await writeState(existing)
  }

  if (existing && isRunning(existing)) {
    checkSameVersion(existing, options.kasmVersion)
    const context = buildContext(existing)
    const madeCurrent = await writeContext(context, options)
    return {alreadyRunning: true, context, elapsedMs: performance.now() - started, madeCurrent, state: existing}
  }

  if (existing) {
    step('cleaning up a sandbox that is no longer running')
    await stopProcesses(existing)
  }

  await mkdir(dir, {mode: 0o700, recursive: true})
  step('creating the TLS certificates and the PostgreSQL cluster')
  const binDir = findPgBinDir()
  const [pgPort, ...ports] = await freePorts(1 + WEBAPPS.length + PROXY_HOSTS.length)
  const tls = await ensureCertificates(dir)
  const cluster = await initCluster({binDir, dir, port: pgPort, tls})

  const state: SandboxState = {
    apiKeys: Object.fromEntries(API_KEY_NAMES.map((name) => [name, {key: '', secretFile: secretPath(dir, `${name}.secret`)}])) as SandboxState['apiKeys'],
    connectionProxies: CONNECTION_PROXIES.map((name) => ({
      configPath: appConfigPath(dir, name, 'kasmguac.app.config.yaml'),
      hostDir: join(dir, 'hosts', name),
      name,
    })),
    daemon: {controlPort: 0, logFile: join(dir, 'daemon.log')},
    dir,
    kasmVersion: options.kasmVersion ?? '1.19',
    postgres: {binDir, dataDir: cluster.dataDir, kasmappPassword: randomBytes(18).toString('base64url'), port: pgPort, socketDir: cluster.socketDir, superuser: SUPERUSER},
    proxies: PROXY_HOSTS.map((p, i) => ({configPath: proxyConfigPath(dir, p.name), name: p.name, port: ports[WEBAPPS.length + i], scheme: p.scheme})),
    tls,
    webapps: WEBAPPS.map((name, i) => ({configPath: appConfigPath(dir, name, 'api.app.config.yaml'), hostDir: join(dir, 'hosts', name), name, port: ports[i]})),
  }

  step('starting PostgreSQL')
  await startPostgres(state)
  await writeState(state)
  try {
    step('loading the Kasm schema and seeding')
    const seed = await createDatabases(state)
    for (const name of API_KEY_NAMES) {
      state.apiKeys[name].key = seed.apiKeys[name].key
      await writeFileAtomic(state.apiKeys[name].secretFile, `${seed.apiKeys[name].secret}\n`, 0o600)
    }

    await writeFileAtomic(secretPath(dir, 'kasmapp.password'), `${state.postgres.kasmappPassword}\n`, 0o600)
    await writeFileAtomic(seedPath(dir), `${JSON.stringify({...seed, apiKeys: undefined}, null, 2)}\n`, 0o600)
    step('writing the host directories')
    await writeHosts(state, seed)
    // The sandbox context's backup.dir, so that `kasmctl backup create` works without --dest.
    await mkdir(join(dir, 'backups'), {mode: 0o700, recursive: true})
    await writeState(state)
    step('starting the web apps, reverse proxies and live loop')
    state.daemon = {...state.daemon, ...(await spawnDaemon(state))}
    await writeState(state)
  } catch (error) {
    // Nothing half-up: stop what did start; the next `sandbox up` starts afresh.
    await stopProcesses(state).catch(() => {})
    await writeState(state)
    throw error
  }

  const context = buildContext(state)
  const madeCurrent = await writeContext(context, options)
  return {alreadyRunning: false, context, elapsedMs: performance.now() - started, madeCurrent, state}
}

/** Role kasmapp, the seeded template database kasm_seed, and kasm as a copy of it. */
async function createDatabases(state: SandboxState): Promise<SeedResult> {
  const admin = await connectSuperuser(state, 'postgres')
  try {
    // CREATEDB: a restore recreates the database as kasmapp (Kasm's own container even makes it the superuser).
    await admin.query(`CREATE ROLE kasmapp LOGIN CREATEDB PASSWORD '${state.postgres.kasmappPassword}'`)
    await admin.query('CREATE DATABASE kasm_seed OWNER kasmapp')
    const seedDb = await connectSuperuser(state, 'kasm_seed')
    let seed: SeedResult
    try {
      // Objects belong to kasmapp, as in Kasm, so the application user can do all it needs.
      await seedDb.query('SET ROLE kasmapp')
      await seedDb.query(await schemaFor(state.kasmVersion))
      seed = await seedDatabase(seedDb, state.kasmVersion)
    } finally {
      await seedDb.end()
    }

    // Nobody connects to the template: CREATE DATABASE ... TEMPLATE needs it idle.
    await admin.query('ALTER DATABASE kasm_seed WITH ALLOW_CONNECTIONS false')
    await admin.query('CREATE DATABASE kasm OWNER kasmapp TEMPLATE kasm_seed STRATEGY FILE_COPY')
    return seed
  } finally {
    await admin.end()
  }
}

/** Drops kasm (disconnecting its sessions, as a restore would) and copies it again from kasm_seed. */
async function reseedDatabase(state: SandboxState, seed: SeedResult): Promise<void> {
  const admin = await connectSuperuser(state, 'postgres')
  try {
    await admin.query('DROP DATABASE IF EXISTS kasm WITH (FORCE)')
    await admin.query('CREATE DATABASE kasm OWNER kasmapp TEMPLATE kasm_seed STRATEGY FILE_COPY')
  } finally {
    await admin.end()
  }

  const db = await connectSuperuser(state, 'kasm')
  try {
    await shiftSeedDates(db, seed.seededAt)
  } finally {
    await db.end()
  }
}

/**
 * Back to the seeded state: database running and re-copied from its template (dates moved to now),
 * host files rewritten, faults cleared, every web app restarted so it re-reads its config.
 */
export async function sandboxReset(state: SandboxState): Promise<void> {
  const seed = JSON.parse(await readFile(seedPath(state.dir), 'utf8')) as SeedResult
  if (!postgresPid(state)) {
    await startPostgres(state)
    await writeState(state)
  }

  await controlRequest(state, 'DELETE', '/faults')
  await reseedDatabase(state, seed)
  await writeHosts(state, seed)
  for (const webapp of state.webapps) {
    await controlRequest(state, 'POST', `/webapps/${encodeURIComponent(webapp.name)}/stop`)
    await controlRequest(state, 'POST', `/webapps/${encodeURIComponent(webapp.name)}/start`)
  }
}

export interface DownResult {
  wasRunning: boolean
  purged: boolean
}

/**
 * Stops the daemon and PostgreSQL; with purge, removes the sandbox's files (and the cluster's, if
 * elsewhere). A dry run only says whether it runs.
 */
export async function sandboxDown(dir: string, options: {purge?: boolean; dryRun?: boolean} = {}): Promise<DownResult> {
  const state = await readState(dir)
  const wasRunning = state ? isRunning(state) : false
  if (options.dryRun) return {purged: false, wasRunning}
  if (state) await stopProcesses(state)
  if (options.purge) {
    if (state) await removeCluster(state)
    await rm(dir, {force: true, recursive: true})
  } else if (state) {
    await writeState(state)
  }

  return {purged: Boolean(options.purge), wasRunning}
}

/**
 * After a purge the `sandbox` context points at nothing: remove it (only a context `sandbox up` wrote),
 * and unset it as the current context. Returns whether it was there.
 */
export async function forgetSandboxContext(configPath = defaultConfigPath()): Promise<boolean> {
  const loaded = await loadConfig(configPath)
  const before = loaded.file.contexts.length
  loaded.file.contexts = loaded.file.contexts.filter((c) => !(c.name === CONTEXT_NAME && c.sandbox))
  if (loaded.file.contexts.length === before) return false
  if (loaded.file.currentContext === CONTEXT_NAME) delete loaded.file.currentContext
  await saveConfig(loaded)
  return true
}

async function stopProcesses(state: SandboxState): Promise<void> {
  if (state.daemon.pid && processAlive(state.daemon.pid)) {
    await controlRequest(state, 'POST', '/shutdown', undefined, 5000).catch(() => process.kill(state.daemon.pid!, 'SIGTERM'))
    if (!(await waitForExit(state.daemon.pid, 10_000))) {
      process.kill(state.daemon.pid, 'SIGKILL')
      await waitForExit(state.daemon.pid, 2000)
    }
  }

  state.daemon.pid = undefined
  await stopPostgres(state).catch(async (error) => {
    // A half-removed cluster: nothing to stop if the postmaster is gone.
    if (postgresPid(state)) throw error
  })
  state.postgres.pid = undefined
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs
  while (processAlive(pid)) {
    if (Date.now() > deadline) return false
    await sleep(50)
  }

  return true
}

export interface SandboxStatus {
  dir: string
  state: 'absent' | 'partial' | 'running' | 'stopped'
  kasmVersion?: SandboxState['kasmVersion']
  postgres?: {running: boolean; pid: number | null; port: number; url: string; dataDir: string}
  daemon?: {running: boolean; pid: number | null; controlPort: number; logFile: string}
  apiUrl?: string
  webapps: Array<{name: string; url: string; running: boolean | null; configPath: string}>
  proxies: Array<{name: string; url: string}>
  faults: ControlStatus['faults']
}

/** What is running, where, and which faults are set. */
export async function sandboxStatus(dir: string): Promise<SandboxStatus> {
  const state = await readState(dir)
  if (!state) return {dir, faults: [], proxies: [], state: 'absent', webapps: []}
  const pgPid = postgresPid(state) ?? null
  const daemonPid = state.daemon.pid && processAlive(state.daemon.pid) ? state.daemon.pid : null
  const control = daemonPid ? await controlRequest<ControlStatus>(state, 'GET', '/status', undefined, 5000).catch(() => undefined) : undefined
  const running = pgPid !== null && daemonPid !== null
  return {
    apiUrl: apiUrl(state),
    daemon: {controlPort: state.daemon.controlPort, logFile: state.daemon.logFile, pid: daemonPid, running: daemonPid !== null},
    dir,
    faults: control?.faults ?? [],
    kasmVersion: state.kasmVersion,
    postgres: {dataDir: state.postgres.dataDir, pid: pgPid, port: state.postgres.port, running: pgPid !== null, url: databaseUrl(state)},
    proxies: state.proxies.map((p) => ({name: p.name, url: `${p.scheme}://127.0.0.1:${p.port}`})),
    state: running ? 'running' : pgPid !== null || daemonPid !== null ? 'partial' : 'stopped',
    webapps: state.webapps.map((w) => ({configPath: w.configPath, name: w.name, running: control?.webapps[w.name] ?? null, url: `http://127.0.0.1:${w.port}`})),
  }
}

const apiUrl = (state: SandboxState): string => {
  const https = state.proxies.find((p) => p.scheme === 'https')!
  return `https://127.0.0.1:${https.port}`
}

const databaseUrl = (state: SandboxState): string => `postgres://kasmapp@127.0.0.1:${state.postgres.port}/kasm?sslmode=require`

/** The `sandbox` context: API through the HTTPS proxy, the database, and every host of the deployment. */
export function buildContext(state: SandboxState): ContextConfig {
  const {dir} = state
  const host = (name: string, roles: NonNullable<ContextConfig['hosts']>[number]['roles'], extra = {}) => ({
    address: '127.0.0.1',
    kasmRoot: kasmRoot(dir, name),
    name,
    roles,
    ...extra,
  })
  return {
    api: {auth: 'body', key: state.apiKeys.admin.key, secret: {file: state.apiKeys.admin.secretFile}, tls: {caFile: state.tls.caFile}, url: apiUrl(state)},
    backup: {dir: join(dir, 'backups'), keep: 7, minKeep: 2},
    database: {password: {file: secretPath(dir, 'kasmapp.password')}, url: databaseUrl(state)},
    defaultZone: 'default',
    enclaves: ['enclave'],
    hosts: [
      ...state.webapps.map((w) => host(w.name, ['webapp'], {url: `http://127.0.0.1:${w.port}`})),
      ...state.connectionProxies.map((c) => host(c.name, ['connection-proxy'])),
      host(DB_HOST, ['db']),
      ...state.proxies.map((p) => host(p.name, ['proxy'])),
      ...AGENTS.map((a) => ({address: '127.0.0.1', name: a.hostname, roles: ['agent' as const]})),
    ],
    name: CONTEXT_NAME,
    proxies: state.proxies.map((p) => `${p.scheme}://127.0.0.1:${p.port}`),
    sandbox: true,
  }
}

/** Upserts the context; makes it current only when none is, or when asked. Returns whether it is now current. */
async function writeContext(context: ContextConfig, options: UpOptions): Promise<boolean> {
  const loaded = await loadConfig(options.configPath ?? defaultConfigPath())
  upsertContext(loaded.file, context)
  const makeCurrent = options.useContext || !loaded.file.currentContext
  if (makeCurrent) loaded.file.currentContext = context.name
  await saveConfig(loaded)
  return loaded.file.currentContext === context.name
}

