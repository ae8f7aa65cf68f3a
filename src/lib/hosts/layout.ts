import type {HostEntry, HostRole} from '../config/types.js'

/**
 * Where Kasm keeps what kasmctl edits on a host (kasm-hosts.md §1-3, §9): one tree per release under
 * the install root, `current` pointing at the active one, `bin/{start,stop}` wrapping docker compose.
 */

export const DEFAULT_KASM_ROOT = '/opt/kasm'

/** A config value that carries the host's deployment zone. */
export interface ZoneKey {
  /** Hosts with this role carry the file. */
  role: Extract<HostRole, 'connection-proxy' | 'webapp'>
  /** File name under `<root>/current/conf/app/`. */
  file: string
  keyPath: readonly string[]
}

/** Web apps first, then connection proxies: the order the zone guide changes them in. */
export const ZONE_KEYS: readonly ZoneKey[] = [
  {file: 'api.app.config.yaml', keyPath: ['server', 'zone_name'], role: 'webapp'},
  {file: 'kasmguac.app.config.yaml', keyPath: ['kasmguac', 'zone'], role: 'connection-proxy'},
  // 1.16+: the RDP gateways register in a zone too.
  {file: 'passthrough.app.config.yaml', keyPath: ['rdp-gateway', 'zone'], role: 'connection-proxy'},
  {file: 'rdp_https_gateway.app.config.yaml', keyPath: ['rdp-gateway', 'zone'], role: 'connection-proxy'},
]

/** Roles whose hosts carry a zone in their config files. */
export const ZONE_ROLES = ['webapp', 'connection-proxy'] as const

/** The install root: `--kasm-root`, else the host entry's kasmRoot, else /opt/kasm. */
export function kasmRootOf(host: HostEntry, override?: string): string {
  return (override ?? host.kasmRoot ?? DEFAULT_KASM_ROOT).replace(/\/+$/, '') || '/'
}

export function confAppDir(root: string): string {
  return `${root}/current/conf/app`
}

export function scriptPath(root: string, script: 'start' | 'stop'): string {
  return `${root}/bin/${script}`
}

export function zoneKeysOf(host: HostEntry): ZoneKey[] {
  return ZONE_KEYS.filter((key) => host.roles.includes(key.role))
}

export function keyName(key: ZoneKey): string {
  return key.keyPath.join('.')
}

/** The URL of a web app's own listener, for its healthcheck: `url`, else https://<address>. */
export function webappUrlOf(host: HostEntry): string | undefined {
  return host.url ?? (host.address ? `https://${host.address}` : undefined)
}
