/**
 * `kasmctl ha`: the HA guide's role-by-role table for the live deployment. Where a question is one
 * `health --all` already asks (database reachable, backups fresh, live agents per zone, connection
 * proxies per zone, web apps healthy, zone policy), the answer is that health check's, run through
 * runHealth: one source of truth per check. What health does not know (replication, peak
 * concurrency from Kasm's session history, log forwarding, dedicated proxies) is read here.
 */
import type pg from 'pg'

import type {ContextConfig} from '../config/types.js'
import {connectDatabase} from '../db/connect.js'
import {getRetention, type Retention} from '../db/retention.js'
import {runHealth} from '../health/run.js'
import {STATUS_EXIT_CODE, type HealthCheck, type HealthStatus} from '../health/types.js'
import {worstStatus} from '../health/status.js'
import type {KasmClient} from '../kasm/client.js'
import {normalizeId} from '../kasm/ids.js'
import type {Kasm, Zone} from '../kasm/types.js'
import {type Citation, citeText, HA_RULES, HA_SUMMARY, type HaRole, LOGS_BUILTIN_BELOW, RULES, WEBAPP_ROWS} from '../plan/guide.js'
import type {PlanInputs} from '../plan/inputs.js'
import {webappSessionsPerServer, webappsNeeded} from '../plan/sizing.js'
import {autoscaleFromAgents, autoscaleFromApi, autoscaleFromDatabase, type LintFinding, lintLiveZones} from '../zones/lint.js'
import {REQUEST_HOST} from '../zones/settings.js'
import {managedService, readReplication, readSessionHistory, type Replication, type SessionHistory} from './facts.js'

export interface HaRow {
  role: HaRole
  /** Zone, host or "deployment". */
  target: string
  found: string
  minimum: string
  impact: string
  verdict: HealthStatus
  /** The guide's reasons, cited. */
  why: string[]
}

export interface HaReport {
  status: HealthStatus
  exitCode: number
  context: string
  checkedAt: string
  /** Peak concurrent sessions the web app and log rules were judged against. */
  peak: {sessions: number; source: 'accounting' | 'live-sessions'; since: string}
  rows: HaRow[]
}

export interface HaOptions {
  context: ContextConfig
  client: () => Promise<KasmClient>
  /** How far back Kasm's session history is read for the peak. */
  historyMs: number
  architecture: PlanInputs['architecture']
  useCase: PlanInputs['useCase']
  now?: Date
}

/** What the database could tell; `error` when it could not be read. */
interface DatabaseFacts {
  replication?: Replication
  history?: SessionHistory
  autoscale?: Map<string, string[]>
  /** Zone lint's findings, with autoscale configs read from the database. */
  findings?: LintFinding[]
  error?: string
}

export async function assessHa(options: HaOptions): Promise<HaReport> {
  const now = options.now ?? new Date()
  const since = new Date(now.getTime() - options.historyMs)
  const client = await options.client()
  // Zones and Kasm's autoscale configs are read once: zone lint and the agent rows both use them.
  const live = client.getZones().then(async (zones) => ({fromApi: await autoscaleFromApi(client, zones), zones}))
  const lint = async (db?: pg.Client) => live.then(({fromApi, zones}) => lintLiveZones(zones, fromApi, {context: options.context, db}))
  const [health, {fromApi, zones}, database, retention, kasms] = await Promise.all([
    runHealth({client: options.client, context: options.context, now, roles: ['webapp', 'agent', 'connection-proxy', 'db', 'backup']}),
    live,
    readDatabaseFacts(lint, options.context, since),
    getRetention(client).catch(() => undefined),
    client.getKasms().then((r) => r.kasms),
  ])
  const findings = database.findings ?? (await lint().catch(() => []))
  const checks = (role: HealthCheck['role'], check: string) => health.checks.filter((c) => c.role === role && c.check === check)
  const peak = database.history
    ? {sessions: database.history.peak, source: 'accounting' as const}
    : {sessions: kasms.length, source: 'live-sessions' as const}
  const zonesWithSessions = database.history?.zones ?? zonesOfSessions(zones, kasms)
  // The same sources, in the same order, as zone lint: Kasm's own configs, else the database, else autoscaled agents.
  const autoscale = fromApi?.enabled ?? database.autoscale ?? autoscaleFromAgents(zones)
  const rows: HaRow[] = [
    databaseRow(options.context, checks('db', 'connect')[0], database),
    backupRow(checks('backup', 'newest')[0] ?? checks('backup', 'configured')[0]),
    webappRow(checks('webapp', 'healthcheck'), peak, options, database.error),
    ...agentRows(zones, {capacity: checks('agent', 'capacity'), minimum: checks('agent', 'ha-minimum')}, zonesWithSessions, autoscale, findings),
    ...connectionProxyRows(checks('connection-proxy', 'coverage')),
    ...dedicatedProxyRows(zones, zonesWithSessions, options.context),
    ...zoneBoundaryRows(zones, findings, options.context),
    logVolumeRow(retention, peak, checks('db', 'logs-table')[0]),
  ]
  const status = worstStatus(rows.map((row) => row.verdict))
  return {
    checkedAt: now.toISOString(),
    context: options.context.name,
    exitCode: STATUS_EXIT_CODE[status],
    peak: {...peak, since: since.toISOString()},
    rows,
    status,
  }
}

/** Zones whose agents run the live sessions (without the database's session history). */
function zonesOfSessions(zones: Zone[], kasms: Kasm[]): Set<string> {
  const zoneOfServer = new Map(zones.flatMap((zone) => (zone.servers ?? []).map((server) => [normalizeId(server.server_id), zone.zone_id] as const)))
  return new Set(kasms.flatMap((kasm) => zoneOfServer.get(normalizeId(kasm.server_id ?? '')) ?? []))
}

async function readDatabaseFacts(lint: (db: pg.Client) => Promise<LintFinding[]>, context: ContextConfig, since: Date): Promise<DatabaseFacts> {
  if (!context.database) return {error: `context "${context.name}" has no database`}
  let db: pg.Client
  try {
    db = await connectDatabase(context, {applicationName: 'kasmctl ha', connectTimeoutMs: 5000})
  } catch (error) {
    return {error: (error as Error).message}
  }

  try {
    return {
      autoscale: await autoscaleFromDatabase(db),
      findings: await lint(db),
      history: await readSessionHistory(db, since),
      replication: await readReplication(db),
    }
  } catch (error) {
    return {error: (error as Error).message}
  } finally {
    await db.end().catch(() => undefined)
  }
}

const why = (...citations: Citation[]) => citations.map((c) => citeText(c))

function row(role: HaRole, target: string, found: string, verdict: HealthStatus, extra: Citation[] = []): HaRow {
  const summary = HA_SUMMARY[role]
  return {found, impact: summary.impact, minimum: summary.minimum, role, target, verdict, why: why(summary.source, ...extra)}
}

function databaseRow(context: ContextConfig, connect: HealthCheck | undefined, facts: DatabaseFacts): HaRow {
  const host = databaseHost(context)
  const managed = host ? managedService(host) : undefined
  if (managed) return row('database', host!, `managed service endpoint (${managed}): failover is the provider's`, 'OK', [HA_RULES.databaseManaged])
  if (!connect || connect.status === 'CRITICAL' || connect.status === 'UNKNOWN' || !facts.replication) {
    const reason = connect?.status === 'CRITICAL' ? `unreachable: ${connect.message}` : `not checked: ${facts.error ?? connect?.message ?? 'no database settings'}`
    return row('database', host ?? 'database', reason, connect?.status === 'CRITICAL' ? 'CRITICAL' : 'UNKNOWN')
  }

  const {inRecovery, replicas} = facts.replication
  if (inRecovery) return row('database', host!, 'the context points at a standby (pg_is_in_recovery): replication is in place; Kasm must write to the primary', 'WARNING', [HA_RULES.databaseReplication])
  if (replicas.length > 0) {
    // Without pg_read_all_stats (pg_monitor) PostgreSQL shows the rows but hides their columns.
    const list = replicas.map((r) => (r.state === null ? 'a standby (details hidden: grant pg_monitor to see them)' : [r.address, r.state, r.syncState].filter(Boolean).join(' '))).join(', ')
    return row('database', host!, `${replicas.length} streaming replica(s): ${list}; failover automation (Patroni or similar) is not visible from PostgreSQL: make sure it exists`, 'OK', [HA_RULES.databaseReplication])
  }

  return row('database', host!, 'a single instance: no streaming replica (pg_stat_replication is empty) and no managed-service endpoint', 'CRITICAL', [HA_RULES.databaseSingle])
}

function databaseHost(context: ContextConfig): string | undefined {
  try {
    return context.database ? new URL(context.database.url).hostname : undefined
  } catch {
    return undefined
  }
}

function backupRow(check: HealthCheck | undefined): HaRow {
  const base = row('database', 'backups', check?.message ?? 'not checked', check?.status ?? 'UNKNOWN', [HA_RULES.backups])
  return {...base, minimum: 'regular backups, restorable on a standby'}
}

function webappRow(checks: HealthCheck[], peak: {sessions: number; source: string}, options: HaOptions, dbError: string | undefined): HaRow {
  const healthy = checks.filter((c) => c.status === 'OK' || c.status === 'WARNING').length
  const needed = webappsNeeded({architecture: options.architecture, rdpSessions: 0, sessions: Math.max(1, peak.sessions), useCase: options.useCase})
  const required = Math.max(2, needed + 1)
  const from = peak.source === 'accounting' ? 'Kasm\'s session history' : `the live sessions (session history not readable: ${dbError})`
  const rate = `${webappSessionsPerServer(options)} per web app (${options.architecture}, ${options.useCase})`
  const found = `${healthy} healthy of ${checks.length} web app(s) in the context; peak ${peak.sessions} concurrent sessions from ${from} needs ${needed} at ${rate}, so ${required} with N+1`
  if (checks.length === 0) return row('webapp', 'deployment', 'the context lists no web app hosts: add them (role webapp) to count them', 'UNKNOWN')
  const verdict: HealthStatus = healthy === 0 ? 'CRITICAL' : healthy < required ? 'WARNING' : 'OK'
  return row('webapp', 'deployment', found, verdict, [HA_RULES.webappExample, WEBAPP_ROWS[options.architecture].source, RULES.webappNPlusOne])
}

/**
 * Per zone: health's `ha-minimum` (live agents, 2+) and `capacity` (every session still placed, agent by
 * agent, after losing the largest: N+1) checks. AutoScaling that can add agents covers a missing second agent.
 */
function agentRows(zones: Zone[], checks: {capacity: HealthCheck[]; minimum: HealthCheck[]}, withSessions: Set<string>, autoscale: Map<string, string[]>, findings: LintFinding[]): HaRow[] {
  return zones.flatMap((zone) => {
    const minimum = checks.minimum.find((c) => c.target === zone.zone_name)
    const capacity = checks.capacity.find((c) => c.target === zone.zone_name)
    const hasSessions = withSessions.has(zone.zone_id)
    if (!minimum && !hasSessions) return []
    const configs = autoscale.get(zone.zone_id) ?? []
    const broken = findings.find((f) => f.zone === zone.zone_name && f.rule === 'autoscale-upstream-auth')
    const scaling = configs.length === 0 ? 'no AutoScaling' : broken ? `AutoScaling (${configs.join(', ')}) cannot add agents: ${broken.message}` : `AutoScaling (${configs.join(', ')}) replaces a lost agent`
    const found = [minimum?.message ?? 'no agents', scaling, ...(hasSessions && capacity ? [capacity.message] : [])].join('; ')
    if (!hasSessions) return [row('agent', zone.zone_name, `${found}; no sessions in this zone: the minimum applies once it has some`, 'OK')]
    let verdict: HealthStatus = minimum?.status ?? 'CRITICAL'
    if (verdict === 'WARNING' && configs.length > 0 && !broken) verdict = 'OK'
    if (verdict === 'OK' && broken) verdict = 'WARNING'
    verdict = worstStatus([verdict, capacity?.status ?? 'OK'])
    return [row('agent', zone.zone_name, found, verdict, configs.length > 0 ? [HA_RULES.autoscale, HA_RULES.agentLoseOne] : [HA_RULES.agentLoseOne])]
  })
}

function connectionProxyRows(checks: HealthCheck[]): HaRow[] {
  if (checks.length === 0) return [row('connection-proxy', 'deployment', 'no RDP/VNC/SSH servers: not required', 'OK', [RULES.cpxRequired])]
  return checks.map((check) => row('connection-proxy', check.target, check.message, check.status, [RULES.cpxRequired, RULES.cpxRedundancy]))
}

/** Multi-zone delivery needs each zone's sessions to go through that zone's own proxies (proxy_hostname), two or more. */
function dedicatedProxyRows(zones: Zone[], withSessions: Set<string>, context: ContextConfig): HaRow[] {
  const delivering = zones.filter((zone) => withSessions.has(zone.zone_id))
  if (delivering.length < 2) return [row('dedicated-proxy', 'deployment', `${delivering.length} zone(s) with sessions: single-zone delivery, not required`, 'OK')]
  const known = [...(context.proxies ?? []).map((url) => hostOf(url)), ...(context.hosts ?? []).filter((h) => h.roles.includes('proxy')).map((h) => h.address ?? h.name)]
  return delivering.map((zone) => {
    const hostname = zone.proxy_hostname ?? REQUEST_HOST
    if (zone.proxy_connections === false) return row('dedicated-proxy', zone.zone_name, 'proxy_connections off: users connect to the agents directly', 'OK')
    if (hostname === REQUEST_HOST) {
      return row('dedicated-proxy', zone.zone_name, `proxy_hostname is ${REQUEST_HOST}: sessions go through whichever host the user reached, not a proxy of this zone`, 'WARNING')
    }

    const instances = known.filter((host) => host?.toLowerCase() === hostname.toLowerCase()).length
    if (instances === 0) return row('dedicated-proxy', zone.zone_name, `proxy_hostname ${hostname}: not among the context's proxies, its instances cannot be counted (add them to the context)`, 'UNKNOWN')
    return row('dedicated-proxy', zone.zone_name, `proxy_hostname ${hostname}: ${instances} instance(s) in the context`, instances >= 2 ? 'OK' : 'WARNING')
  })
}

function hostOf(url: string): string | undefined {
  try {
    return new URL(url).hostname
  } catch {
    return undefined
  }
}

function zoneBoundaryRows(zones: Zone[], findings: LintFinding[], context: ContextConfig): HaRow[] {
  const enclaves = new Set(context.enclaves ?? [])
  return zones.map((zone) => {
    const finding = findings.find((f) => f.zone === zone.zone_name && f.rule === 'enclave-search-alternate')
    if (finding) return row('zone-boundary', zone.zone_name, finding.message, 'CRITICAL')
    const alternate = zone.search_alternate_zones === false ? 'off' : 'on'
    const kind = enclaves.has(zone.zone_name) ? 'an enclave' : 'not marked an enclave (context `enclaves`)'
    return row('zone-boundary', zone.zone_name, `${kind}; search alternate zones ${alternate}`, 'OK', enclaves.has(zone.zone_name) ? [] : [HA_RULES.searchAlternateDefault])
  })
}

function logVolumeRow(retention: Retention | undefined, peak: {sessions: number}, logsTable: HealthCheck | undefined): HaRow {
  if (!retention) return row('log-volume', 'logging', 'the logging settings could not be read through the API', 'UNKNOWN')
  const protocol = retention.logProtocol ?? 'internal'
  const table = logsTable ? `; logs table ${logsTable.message}` : ''
  const found = `log_protocol ${protocol}, log_retention ${retention.logRetentionDays} days, peak ${peak.sessions} sessions${table}`
  if (retention.logRetentionDays === 0 || peak.sessions < LOGS_BUILTIN_BELOW) return row('log-volume', 'logging', found, 'OK', [RULES.logsBuiltin])
  const advice = protocol === 'internal' ? 'forward logs to a SIEM and set log_retention to 0' : `logs already go to ${protocol}: set log_retention to 0 (\`kasmctl db retention set --days 0\`)`
  return row('log-volume', 'logging', `${found}: ${advice}`, 'WARNING', [RULES.logsSiem])
}

