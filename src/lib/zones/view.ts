/**
 * What `zone list` and `zone get` show: every setting, plus agent and session counts that
 * get_zones already carries (one API call, no per-zone round trips).
 */
import {shortId} from '../kasm/ids.js'
import type {KasmClient} from '../kasm/client.js'
import type {Server, Zone, ZoneSettings} from '../kasm/types.js'
import {compareNames} from '../text.js'
import {settingsOf} from './settings.js'

/** One zone in `zone list --json` (docs/json.md). */
export type ZoneView = Partial<ZoneSettings> & {
  zone_id: string
  zone_name: string
  /** Docker agents (server_type "host") in the zone. */
  agents: {enabled: number; total: number}
  sessions: number
}

/** `zone get --json`: the list view plus managers, agents and free capacity. */
export type ZoneDetails = ZoneView & {
  primary_manager_id: null | string
  managers: Array<{manager_hostname: string; manager_id: string}>
  servers: Array<{enabled: boolean; hostname: string; operational_status: null | string; server_id: string; server_type: string; sessions: number}>
  available_cores: null | number
  available_gpus: null | number
  /** Bytes. */
  available_memory: null | number
}

export function isAgent(server: Pick<Server, 'server_type'>): boolean {
  return server.server_type === 'host'
}

export function zoneView(zone: Zone): ZoneView {
  const agents = (zone.servers ?? []).filter((server) => isAgent(server))
  return {
    zone_id: zone.zone_id,
    zone_name: zone.zone_name,
    ...settingsOf(zone),
    agents: {enabled: agents.filter((agent) => agent.enabled).length, total: agents.length},
    sessions: zone.num_kasms ?? 0,
  }
}

export function zoneDetails(zone: Zone): ZoneDetails {
  return {
    ...zoneView(zone),
    available_cores: zone.available_cores ?? null,
    available_gpus: zone.available_gpus ?? null,
    available_memory: zone.available_memory ?? null,
    managers: (zone.managers ?? []).map(({manager_hostname, manager_id}) => ({manager_hostname, manager_id})),
    primary_manager_id: zone.primary_manager_id ?? null,
    servers: (zone.servers ?? []).map((server) => ({
      enabled: server.enabled,
      hostname: server.hostname,
      operational_status: server.operational_status ?? null,
      server_id: server.server_id,
      server_type: server.server_type,
      sessions: server.kasms?.length ?? 0,
    })),
  }
}

/** All zones with their servers: one get_zones call. */
export async function listZones(client: KasmClient): Promise<Zone[]> {
  const zones = await client.getZones()
  return zones.sort((a, b) => compareNames(a.zone_name, b.zone_name))
}

/**
 * "proxy.example.com:443/desktop"; no port when it is 0 (the browser's port); "direct" when
 * connections go straight to the agent.
 */
export function proxySummary(zone: Partial<ZoneSettings>): string {
  if (zone.proxy_connections === false) return 'direct'
  const port = zone.proxy_port === 0 ? '' : `:${zone.proxy_port ?? ''}`
  return `${zone.proxy_hostname ?? ''}${port}/${(zone.proxy_path ?? '').replace(/^\/+/, '')}`
}

export function zoneLabel(zone: Pick<Zone, 'zone_id' | 'zone_name'>): string {
  return `${zone.zone_name} (${shortId(zone.zone_id)})`
}
