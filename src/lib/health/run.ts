
import type {ContextConfig} from '../config/types.js'
import {UsageError, listValues} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import type {ProxyFindings} from './checks/proxies.js'
import {apiChecks, webappChecks} from './checks/webapps.js'
import {diagnose} from './diagnosis.js'
import {RunContext} from './run-context.js'
import {withTimeout} from './pool.js'
import type {DetectedVersion} from '../kasm/version.js'
import {summarize, worstStatus} from './status.js'
import {DEFAULT_CONCURRENCY, DEFAULT_ROLES, DEFAULT_THRESHOLDS, DEFAULT_TIMEOUT_MS, HEALTH_ROLES, type HealthCheck, type HealthReport, type HealthRole, type HealthThresholds, STATUS_EXIT_CODE} from './types.js'
import {readContextFile} from '../config/secrets.js'

export interface HealthOptions {
  context: ContextConfig
  /** Roles to check. Default: the API and the web apps; with `all`, every role the context can check. */
  roles?: HealthRole[]
  all?: boolean
  /** Limit the zone-scoped roles (agent, manager, connection-proxy, zone) to this zone name. */
  zone?: string
  timeoutMs?: number
  concurrency?: number
  thresholds?: HealthThresholds
  /** The Kasm API client, created on first use: web app and proxy checks never need it. */
  client: () => Promise<KasmClient>
  now?: Date
}


type Pair = {critical: number; warning: number}
/** Each warning/critical pair, with the suffix of its --warn-X / --crit-X flags. */
const PAIRS: Array<[keyof HealthThresholds, string, 'above' | 'below', string]> = [
  ['latencyMs', 'latency', 'above', 'ms'],
  ['checkinSeconds', 'checkin', 'above', 's'],
  ['certDays', 'cert-expiry', 'below', 'days'],
  ['backupAgeSeconds', 'backup-age', 'above', 's'],
]

/** Defaults overlaid with the user's limits; a warning level beyond its critical level is a usage error. */
export function resolveThresholds(overrides: {[K in keyof HealthThresholds]?: Partial<HealthThresholds[K]>}): HealthThresholds {
  const merged = {...DEFAULT_THRESHOLDS} as Record<keyof HealthThresholds, unknown>
  for (const [key, value] of Object.entries(overrides) as Array<[keyof HealthThresholds, unknown]>) {
    if (value === undefined) continue
    // Only the limits given: an unset flag must not blank out its default.
    const given = typeof value === 'object' && value !== null ? Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) : value
    merged[key] = typeof given === 'object' ? {...(DEFAULT_THRESHOLDS[key] as object), ...given} : given
  }

  for (const [key, flag, direction, unit] of PAIRS) {
    const {critical, warning} = merged[key] as Pair
    if (direction === 'above' ? warning > critical : warning < critical) {
      throw new UsageError(`--warn-${flag} (${warning} ${unit}) must not be ${direction} --crit-${flag} (${critical} ${unit})`)
    }
  }

  return merged as HealthThresholds
}

/** The roles a run checks. `--all` skips the database and backups when the context has none configured. */
function selectRoles(options: Pick<HealthOptions, 'all' | 'context' | 'roles'>): HealthRole[] {
  if (options.roles && options.roles.length > 0) return HEALTH_ROLES.filter((role) => options.roles!.includes(role))
  if (!options.all) return [...DEFAULT_ROLES]
  return HEALTH_ROLES.filter((role) => (role !== 'db' || options.context.database) && (role !== 'backup' || options.context.backup?.dir))
}

/**
 * Runs every selected check concurrently (one concurrency limit, a timeout per target) and grades
 * the whole: the run takes about as long as its slowest target.
 */
export async function runHealth(options: HealthOptions): Promise<HealthReport> {
  const started = performance.now()
  const roles = selectRoles(options)
  const run = new RunContext({
    caPem: await readContextFile(options.context.api.tls?.caFile, `CA file of context "${options.context.name}"`),
    client: options.client,
    concurrency: options.concurrency ?? DEFAULT_CONCURRENCY,
    context: options.context,
    // With the manager checks, Kasm's own list of web apps fills the inventory's gaps.
    discoverWebapps: roles.includes('manager'),
    now: options.now,
    thresholds: options.thresholds ?? DEFAULT_THRESHOLDS,
    timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS,
    zone: options.zone,
  })
  // Read beside the checks, from what they read anyway: the API (api role) and the database (db role).
  const kasmVersion = detectVersion(run, roles)
  try {
    if (options.zone) await validateZone(run, options.zone)
    let proxyFindings: ProxyFindings[] = []
    // Role modules load on demand, so a web app sweep does not pay for pg or the zone and backup code.
    const fleet = () => import('./checks/fleet.js')
    const byRole: Record<HealthRole, () => Promise<HealthCheck[]>> = {
      agent: async () => (await fleet()).agentChecks(run),
      api: () => apiChecks(run),
      backup: async () => (options.context.backup?.dir ? (await import('./checks/backups.js')).backupChecks(run) : notConfigured(run, 'backup', 'no backup directory')),
      'connection-proxy': async () => (await fleet()).connectionProxyChecks(run),
      db: async () => (options.context.database ? (await import('./checks/database.js')).databaseChecks(run) : notConfigured(run, 'db', 'no database settings')),
      manager: async () => (await fleet()).managerChecks(run),
      proxy: async () => {
        const result = await (await import('./checks/proxies.js')).proxyChecks(run)
        proxyFindings = result.findings
        return result.checks
      },
      webapp: () => webappChecks(run),
      zone: async () => (await import('./checks/zones.js')).zoneChecks(run, {withAgentChecks: roles.includes('agent')}),
    }
    const checks = (await Promise.all(roles.map((role) => byRole[role]()))).flat()
    const needsWebapps = roles.includes('webapp') || roles.includes('proxy')
    const diagnosis = diagnose({checks, proxies: proxyFindings, webapps: needsWebapps ? await run.webappProbes() : undefined})
    if (roles.includes('webapp') && (await run.webappProbes()).length === 0) {
      diagnosis.push(
        `Context "${options.context.name}" lists no web app hosts: only the API URL was checked. Add each web app to the context's hosts (role webapp) to check them directly, the reverse-proxy guide's first step.`,
      )
    }

    // Nothing checked is not healthy: a monitoring system must not read an empty run as OK.
    const status = checks.length === 0 ? 'UNKNOWN' : worstStatus(checks.map((c) => c.status))
    return {
      checkedAt: run.now.toISOString(),
      checks,
      context: options.context.name,
      diagnosis,
      durationMs: Math.round(performance.now() - started),
      exitCode: STATUS_EXIT_CODE[status],
      kasmVersion: await kasmVersion,
      status,
      summary: summarize(checks),
    }
  } finally {
    run.close()
  }
}

async function detectVersion(run: RunContext, roles: HealthRole[]): Promise<DetectedVersion | null> {
  const database = roles.includes('db') && Boolean(run.context.database)
  if (!roles.includes('api') && !database) return null
  const {detectKasmVersion} = await import('../kasm/version.js')
  // The API only when the database does not decide (1.15's revision is undocumented).
  const client = await run.client().catch(() => undefined)
  return withTimeout(detectKasmVersion(client, run.context, {database}), run.timeoutMs).catch(() => null)
}

async function notConfigured(run: RunContext, role: 'backup' | 'db', what: string): Promise<HealthCheck[]> {
  return [
    await run.check(role, run.context.name, 'configured', async () => ({
      message: `context "${run.context.name}" has ${what}: add it with \`kasmctl context add\``,
      status: 'UNKNOWN',
      threshold: null,
      unit: null,
      value: null,
    }), {limited: false}),
  ]
}

/** A --zone that names no zone is a usage error, not a finding; when the API cannot say, the checks will. */
async function validateZone(run: RunContext, zone: string): Promise<void> {
  const zones = await run.deployment().then(
    (view) => view.zones.map((z) => z.zone_name),
    () => undefined,
  )
  if (zones && !zones.includes(zone)) throw new UsageError(`zone "${zone}" does not exist: known zones are ${listValues(zones)}`)
}

