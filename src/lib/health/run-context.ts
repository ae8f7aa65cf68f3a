import type {ContextConfig, HostEntry} from '../config/types.js'
import {isKasmctlError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import type {ConnectionProxy, Manager, Server, Zone} from '../kasm/types.js'
import {Limiter, TimeoutError, withTimeout} from './pool.js'
import {type HttpProbe, Prober, formatMs} from './probe.js'
import type {HealthCheck, HealthRole, HealthThresholds} from './types.js'

/** What Kasm's API says about the deployment, read once per run and shared by the checks. */
export interface DeploymentView {
  zones: Zone[]
  servers: Server[]
  managers: Manager[]
  connectionProxies: ConnectionProxy[]
}

export interface WebappTarget {
  name: string
  url: string
  host?: HostEntry
}

export interface WebappProbe extends WebappTarget {
  probe: HttpProbe
  /** HTTP 200 with {"ok": true}. */
  healthy: boolean
}

/** A check's outcome before the run stamps role, target and duration on it (a probe may bring its own duration). */
export type CheckOutcome = Omit<HealthCheck, 'check' | 'durationMs' | 'role' | 'target'> & {durationMs?: number}

export interface RunContextOptions {
  context: ContextConfig
  thresholds: HealthThresholds
  timeoutMs: number
  concurrency: number
  /** Zone name filter for the zone-scoped roles (agent, manager, connection-proxy, zone). */
  zone?: string
  /** Also probe the web apps of Kasm's managers that the inventory does not list (costs an API read first). */
  discoverWebapps?: boolean
  /** Creates the API client; called at most once, on first use (the web app and proxy checks never need it). */
  client: () => Promise<KasmClient>
  caPem?: string
  now?: Date
}

/**
 * Shared state of one health run: one concurrency limit for every target, one prober with
 * keep-alive agents, and the API reads and direct web app probes memoised for the checks that
 * build on them (proxies compare against direct results; managers against the zones' agents).
 */
export class RunContext {
  readonly context: ContextConfig
  readonly thresholds: HealthThresholds
  readonly timeoutMs: number
  readonly zone?: string
  readonly now: Date
  readonly prober: Prober
  private readonly discoverWebapps: boolean
  private readonly limiter: Limiter
  private readonly clientFactory: () => Promise<KasmClient>
  private clientPromise?: Promise<KasmClient>
  private deploymentPromise?: Promise<DeploymentView>
  private webappPromise?: Promise<WebappProbe[]>

  constructor(options: RunContextOptions) {
    this.context = options.context
    this.thresholds = options.thresholds
    this.timeoutMs = options.timeoutMs
    this.zone = options.zone
    this.now = options.now ?? new Date()
    this.discoverWebapps = options.discoverWebapps ?? false
    this.clientFactory = options.client
    this.limiter = new Limiter(options.concurrency)
    this.prober = new Prober({caPem: options.caPem, timeoutMs: options.timeoutMs})
  }

  /** The API client, created once on first use (its owner closes it). */
  async client(): Promise<KasmClient> {
    this.clientPromise ??= this.clientFactory()
    return this.clientPromise
  }

  /** Servers, managers, connection proxies and zones from the API (read concurrently, once). */
  async deployment(): Promise<DeploymentView> {
    this.deploymentPromise ??= withTimeout(
      this.client().then(async (client) => {
        const [zones, servers, managers, connectionProxies] = await Promise.all([
          client.getZones({brief: true}),
          client.getServers(),
          client.getManagers(),
          client.getConnectionProxies(),
        ])
        return {connectionProxies, managers, servers, zones}
      }),
      this.timeoutMs,
    )
    return this.deploymentPromise
  }

  /**
   * The web apps, each probed directly once: the context inventory's, plus (with `discoverWebapps`)
   * those Kasm knows as managers but the inventory lacks, at https://<manager hostname>.
   */
  async webappProbes(): Promise<WebappProbe[]> {
    this.webappPromise ??= (async () => {
      const targets = webappTargets(this.context)
      if (this.discoverWebapps) {
        const managers = await this.deployment().then((view) => view.managers, () => [])
        targets.push(...managerOnlyWebapps(targets, managers))
      }

      return Promise.all(
        targets.map(async (target) => {
          const probe = await this.limiter.run(() => this.prober.get(healthcheckUrl(target.url)))
          return {...target, healthy: isHealthy(probe), probe}
        }),
      )
    })()
    return this.webappPromise
  }

  /** Runs one probe under the concurrency limit (for probes that are not checks themselves). */
  async limited<R>(task: () => Promise<R>): Promise<R> {
    return this.limiter.run(task)
  }

  /**
   * Runs one check under the per-target timeout: a check that throws becomes UNKNOWN with the
   * error's message, one that overruns becomes CRITICAL (no answer in time). Checks that do their
   * own network I/O also take a slot of the concurrency limit; checks derived from shared reads
   * (`limited: false`) must not, or they would hold slots the shared probes are waiting for.
   */
  async check(role: HealthRole, target: string, check: string, run: () => Promise<CheckOutcome>, options: {limited?: boolean} = {}): Promise<HealthCheck> {
    const evaluate = async (): Promise<HealthCheck> => {
      const started = performance.now()
      let outcome: CheckOutcome
      try {
        outcome = await withTimeout(run(), this.timeoutMs)
      } catch (error) {
        outcome =
          error instanceof TimeoutError
            ? {message: `no answer within ${formatMs(this.timeoutMs)}`, status: 'CRITICAL', threshold: null, unit: null, value: null}
            : {message: errorMessage(error), status: 'UNKNOWN', threshold: null, unit: null, value: null}
      }

      const {durationMs = Math.round(performance.now() - started), ...rest} = outcome
      return {check, durationMs, role, target, ...rest}
    }

    return options.limited === false ? evaluate() : this.limiter.run(evaluate)
  }

  close(): void {
    this.prober.close()
  }
}

export function errorMessage(error: unknown): string {
  if (isKasmctlError(error)) return error.message
  return error instanceof Error ? error.message : String(error)
}

/** Inventory hosts with the webapp role; the URL defaults to https://<address> (Kasm listens on 443). */
function webappTargets(context: ContextConfig): WebappTarget[] {
  return (context.hosts ?? [])
    .filter((host) => host.roles.includes('webapp'))
    .map((host) => ({host, name: host.name, url: trimUrl(host.url ?? `https://${host.address ?? host.name}`)}))
}

/** Managers whose host is not an inventory web app (by name, address or URL host): web apps to probe too. */
function managerOnlyWebapps(known: WebappTarget[], managers: Manager[]): WebappTarget[] {
  const names = new Set(known.flatMap((t) => [t.name, t.host?.address, new URL(t.url).hostname].filter(Boolean) as string[]))
  return managers
    .filter((m) => m.manager_hostname && !names.has(m.manager_hostname))
    .map((m) => ({name: m.manager_hostname, url: `https://${m.manager_hostname}`}))
}

export function trimUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api$/, '')
}

export function healthcheckUrl(baseUrl: string): string {
  return `${trimUrl(baseUrl)}/api/__healthcheck`
}

/** Kasm's healthcheck: HTTP 200 with the body {"ok": true}. */
export function isHealthy(probe: HttpProbe): boolean {
  if (probe.status !== 200 || probe.body === undefined) return false
  try {
    return JSON.parse(probe.body)?.ok === true
  } catch {
    return false
  }
}
