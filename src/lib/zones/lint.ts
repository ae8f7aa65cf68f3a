/**
 * Zone policy lint (`kasmctl zone lint`, and `health`'s zone checks): settings that the Kasm
 * documentation says break a security boundary, AutoScaling, session connections or HA.
 */
import type pg from 'pg'

import {type AutoscaleFinding, AUTOSCALE_LINT_REASONS, type AutoscaleLintRule, evaluateAutoscaleLint} from '../autoscale/lint.js'
import {autoscaleChanges, settingsOfConfig, withChanges} from '../autoscale/fields.js'
import {autoscaleStatus, DEFAULT_CHECKIN_TIMEOUT_SECONDS} from '../autoscale/status.js'
import type {ContextConfig} from '../config/types.js'
import {AuthError, LicenseError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import {normalizeId} from '../kasm/ids.js'
import type {Zone} from '../kasm/types.js'
import {compareNames} from '../text.js'
import type {ZonesFile} from './file.js'
import {isDefaultUpstream, REQUEST_HOST, withDefaults} from './settings.js'
import {isAgent} from './view.js'

export interface LintFinding {
  severity: 'error' | 'warning'
  zone: string
  rule: string
  message: string
  /** The documentation's reason for the rule. */
  reason: string
}

export type LintRule = 'autoscale-upstream-auth' | 'enclave-search-alternate' | 'ha-min-agents' | 'proxy-mismatch' | AutoscaleLintRule

export const LINT_REASONS: Record<LintRule, string> = {
  ...AUTOSCALE_LINT_REASONS,
  'autoscale-upstream-auth':
    'High Availability guide: AutoScaling requires the Upstream Auth Address to be explicitly configured before AutoScaling is enabled; if it is misconfigured, autoscaled Agents silently fail to join the pool (the most common AutoScaling failure mode).',
  'enclave-search-alternate':
    'High Availability guide: for a security enclave (classification, tenant separation) Search Alternate Zones must be disabled; cross-zone fallback would violate the policy the zone boundary enforces.',
  'ha-min-agents':
    'High Availability guide: the minimum for production HA is 2+ Agents per zone; an Agent failure interrupts its sessions and reduces the zone\'s capacity.',
  'proxy-mismatch':
    'Reverse proxy guide: behind a reverse proxy the Zone configuration must be updated accordingly; session connections go to Proxy Hostname:Port, so a value no proxy answers on breaks sessions.',
}


export interface LintInput {
  client: KasmClient
  context: ContextConfig
  /** The Kasm database: enabled autoscale configs are read from it. Without it they are inferred from autoscaled agents. */
  db?: pg.Client
  /** Lint the zones as this file would leave them, with its `enclave: true` marks. */
  file?: ZonesFile
}

/** Facts the rules need besides the zones themselves. */
export interface LintFacts {
  enclaves: ReadonlySet<string>
  /** zone_id → names of its enabled autoscale configs. */
  autoscale: ReadonlyMap<string, string[]>
  /** The context's reverse proxies. */
  proxies: Array<{host: string; port: number; url: string}>
  /** Findings of the AutoScale rules (src/lib/autoscale/lint.ts), when Kasm showed its configs. */
  autoscaleFindings?: AutoscaleFinding[]
}

export async function lintZones(input: LintInput): Promise<LintFinding[]> {
  const live = await input.client.getZones()
  return lintLiveZones(live, await autoscaleFromApi(input.client, live, input.file), input)
}

/** Lint zones already read, with what autoscaleFromApi found: for a caller that needs both itself (ha). */
export async function lintLiveZones(live: Zone[], fromApi: AutoscaleFromApi | undefined, input: Omit<LintInput, 'client'>): Promise<LintFinding[]> {
  const zones = input.file ? overlay(live, input.file) : live
  const autoscale = fromApi?.enabled ?? (input.db ? await autoscaleFromDatabase(input.db) : autoscaleFromAgents(live))
  const enclaves = new Set([...(input.context.enclaves ?? []), ...(input.file?.zones.filter((zone) => zone.enclave).map((zone) => zone.name) ?? [])])
  return evaluateLint(zones, {autoscale, autoscaleFindings: fromApi?.findings, enclaves, proxies: proxiesOf(input.context)})
}

/**
 * Enabled configs per zone and the AutoScale rules' findings, from Kasm's own configs. Undefined when
 * Kasm refuses them (no Auto Scaling licence, or the key lacks AUTOSCALE_VIEW / SERVER_POOLS_VIEW):
 * the caller then falls back on the database, else on autoscaled agents.
 */
export interface AutoscaleFromApi {
  enabled: Map<string, string[]>
  findings: AutoscaleFinding[]
}

export async function autoscaleFromApi(client: KasmClient, zones: readonly Zone[], file?: ZonesFile): Promise<AutoscaleFromApi | undefined> {
  try {
    const [live, pools] = await Promise.all([client.getAutoscaleConfigs(), client.getServerPools()])
    // With a zones file: the configs as its `autoscale:` section would leave them.
    const configs = live.map((config) => {
      const wanted = file?.autoscale?.find((desired) => desired.name === config.autoscale_config_name)
      return wanted ? withChanges(config, autoscaleChanges(settingsOfConfig(config), wanted.settings)) : config
    })
    const needsSessions = configs.some((c) => c.enabled !== false && c.autoscale_type !== 'Server Pool')
    const kasms = needsSessions ? (await client.getKasms()).kasms : []
    const servers = zones.flatMap((zone) => zone.servers ?? [])
    const report = autoscaleStatus({configs, kasms, pools, servers, zones: [...zones]}, configs, {checkinTimeoutSeconds: DEFAULT_CHECKIN_TIMEOUT_SECONDS, now: new Date()})
    const enabled = new Map<string, string[]>()
    for (const config of configs.filter((c) => c.enabled !== false)) {
      enabled.set(normalizeId(config.zone_id), [...(enabled.get(normalizeId(config.zone_id)) ?? []), config.autoscale_config_name])
    }

    return {enabled, findings: evaluateAutoscaleLint(report, configs)}
  } catch (error) {
    if (error instanceof AuthError || error instanceof LicenseError) return undefined
    throw error
  }
}

/** The rules, over zones as get_zones returns them (with servers). Errors first. */
export function evaluateLint(zones: readonly Zone[], facts: LintFacts): LintFinding[] {
  const findings: LintFinding[] = []
  const add = (severity: LintFinding['severity'], zone: Zone, rule: LintRule, message: string) =>
    findings.push({message, reason: LINT_REASONS[rule], rule, severity, zone: zone.zone_name})

  for (const zone of zones) {
    if (facts.enclaves.has(zone.zone_name) && zone.search_alternate_zones !== false) {
      add('error', zone, 'enclave-search-alternate', 'the zone is an enclave but search_alternate_zones is on: its sessions can be placed on agents in other zones')
    }

    const configs = facts.autoscale.get(zone.zone_id) ?? []
    const upstream = zone.upstream_auth_address ?? REQUEST_HOST
    if (configs.length > 0 && isDefaultUpstream(upstream)) {
      add('error', zone, 'autoscale-upstream-auth', `upstream_auth_address is left at its default "${upstream}" while AutoScaling is enabled (${configs.join(', ')}): new agents cannot register`)
    }

    const mismatch = proxyMismatch(zone, facts.proxies)
    if (mismatch) add('warning', zone, 'proxy-mismatch', mismatch)

    const enabled = (zone.servers ?? []).filter((server) => isAgent(server) && server.enabled).length
    if (enabled < 2) {
      add('warning', zone, 'ha-min-agents', enabled === 0 ? 'no enabled agent: no session can start in this zone' : 'only 1 enabled agent: losing it stops new sessions in this zone')
    }
  }

  for (const finding of facts.autoscaleFindings ?? []) findings.push({...finding, reason: LINT_REASONS[finding.rule]})

  const rank = {error: 0, warning: 1}
  return findings.sort((a, b) => rank[a.severity] - rank[b.severity] || compareNames(a.zone, b.zone) || compareNames(a.rule, b.rule))
}

/** "warning" / "error" / "ok", and the exit code (0 none, 1 warnings, 2 errors). */
export function lintStatus(findings: readonly LintFinding[]): {exitCode: 0 | 1 | 2; status: 'error' | 'ok' | 'warning'} {
  if (findings.some((finding) => finding.severity === 'error')) return {exitCode: 2, status: 'error'}
  if (findings.length > 0) return {exitCode: 1, status: 'warning'}
  return {exitCode: 0, status: 'ok'}
}

function proxyMismatch(zone: Zone, proxies: LintFacts['proxies']): string | undefined {
  if (proxies.length === 0 || zone.proxy_connections === false) return undefined
  const hostname = zone.proxy_hostname ?? REQUEST_HOST
  const known = proxies.map((proxy) => proxy.url).join(', ')
  const sameHost = hostname === REQUEST_HOST ? proxies : proxies.filter((proxy) => proxy.host === hostname.toLowerCase())
  if (sameHost.length === 0) return `proxy_hostname "${hostname}" is none of the context's reverse proxies (${known})`
  const port = zone.proxy_port ?? 0
  if (port !== 0 && !sameHost.some((proxy) => proxy.port === port)) {
    return `proxy_port ${port} is not the port of any of the context's reverse proxies${hostname === REQUEST_HOST ? '' : ` on ${hostname}`} (${known})`
  }

  return undefined
}

function proxiesOf(context: ContextConfig): LintFacts['proxies'] {
  return (context.proxies ?? []).flatMap((url) => {
    try {
      const parsed = new URL(url)
      return [{host: parsed.hostname.toLowerCase(), port: Number(parsed.port || (parsed.protocol === 'https:' ? 443 : 80)), url}]
    } catch {
      return []
    }
  })
}

/** Zones as the file would leave them: its settings over Kasm's, and its new zones with defaults. */
function overlay(live: readonly Zone[], file: ZonesFile): Zone[] {
  const byName = new Map(live.map((zone) => [zone.zone_name, zone]))
  const zones = live.map((zone) => ({...zone}))
  for (const wanted of file.zones) {
    const current = byName.get(wanted.name)
    if (current) Object.assign(zones.find((zone) => zone.zone_id === current.zone_id)!, wanted.settings)
    else zones.push({...withDefaults(wanted.settings), servers: [], zone_id: '', zone_name: wanted.name})
  }

  return zones
}

export async function autoscaleFromDatabase(db: pg.Client): Promise<Map<string, string[]>> {
  const {rows} = await db.query<{name: string; zone_id: string}>(
    'SELECT zone_id::text AS zone_id, autoscale_config_name AS name FROM autoscale_configs WHERE enabled ORDER BY autoscale_config_name',
  )
  const byZone = new Map<string, string[]>()
  for (const row of rows) byZone.set(normalizeId(row.zone_id), [...(byZone.get(normalizeId(row.zone_id)) ?? []), row.name])
  return byZone
}

/** Without a database: a zone that has autoscaled agents has AutoScaling on. */
export function autoscaleFromAgents(zones: readonly Zone[]): Map<string, string[]> {
  const byZone = new Map<string, string[]>()
  for (const zone of zones) {
    const names = new Set<string>()
    for (const server of zone.servers ?? []) {
      const config = server.autoscale_config as undefined | {autoscale_config_name?: string}
      if (config?.autoscale_config_name) names.add(config.autoscale_config_name)
      else if (server.is_autoscaled === true || server.autoscale_config_id) names.add('an autoscale config')
    }

    if (names.size > 0) byZone.set(zone.zone_id, [...names])
  }

  return byZone
}
