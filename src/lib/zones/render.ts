/** Human renderings of the zone commands' results. Loaded only in table mode (cli-table3). */
import {shortId} from '../kasm/ids.js'
import {renderDetails, renderTable} from '../output/table.js'
import type {LintFinding} from './lint.js'
import {ZONE_SETTINGS, displayValue} from './settings.js'
import {proxySummary, type ZoneDetails, type ZoneView} from './view.js'

export function renderZoneList(zones: readonly ZoneView[]): string {
  if (zones.length === 0) return 'no zones'
  return renderTable<ZoneView>(
    [
      {get: (z) => z.zone_name, header: 'name'},
      {get: (z) => shortId(z.zone_id), header: 'id'},
      {get: (z) => displayValue('load_strategy', z.load_strategy), header: 'strategy'},
      {get: (z) => z.search_alternate_zones, header: 'search-alt'},
      {get: (z) => proxySummary(z), header: 'proxy'},
      {align: 'right', get: (z) => `${z.agents.enabled}/${z.agents.total}`, header: 'agents'},
      {align: 'right', get: (z) => z.sessions, header: 'sessions'},
    ],
    [...zones],
  )
}

export function renderZoneDetails(zone: ZoneDetails): string {
  const gigabytes = zone.available_memory === null ? null : `${(zone.available_memory / 1e9).toFixed(1)} GB`
  const details = renderDetails([
    ['zone_name', zone.zone_name],
    ['zone_id', zone.zone_id],
    // Only the settings this Kasm has (1.15 has no RDP fields): a missing row is clearer than a "-".
    ...ZONE_SETTINGS.filter(({field}) => field in zone).map(({field}): [string, unknown] => [field, displayValue(field, zone[field])]),
    ['agents', `${zone.agents.enabled} enabled of ${zone.agents.total}`],
    ['sessions', zone.sessions],
    ['available_cores', zone.available_cores],
    ['available_memory', gigabytes],
    ['available_gpus', zone.available_gpus],
    ['managers', zone.managers.map((m) => m.manager_hostname).join(', ') || '-'],
  ])
  if (zone.servers.length === 0) return `${details}\n\nno agents or servers`
  const servers = renderTable<ZoneDetails['servers'][number]>(
    [
      {get: (s) => s.hostname, header: 'server'},
      {get: (s) => shortId(s.server_id), header: 'id'},
      {get: (s) => (s.server_type === 'host' ? 'agent' : s.server_type), header: 'type'},
      {get: (s) => s.enabled, header: 'enabled'},
      {get: (s) => s.operational_status, header: 'status'},
      {align: 'right', get: (s) => s.sessions, header: 'sessions'},
    ],
    zone.servers,
  )
  return `${details}\n\n${servers}`
}

/** One line per finding, then the documentation's reason once per rule. */
export function renderFindings(findings: readonly LintFinding[]): string {
  if (findings.length === 0) return 'OK: no findings'
  const lines = findings.map((f) => `${f.severity.toUpperCase().padEnd(7)} ${f.zone}: ${f.message} [${f.rule}]`)
  const reasons = [...new Map(findings.map((f) => [f.rule, f.reason])).entries()].map(([rule, reason]) => `  ${rule}: ${reason}`)
  return `${lines.join('\n')}\n\nWhy:\n${reasons.join('\n')}`
}
