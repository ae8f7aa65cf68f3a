/** Kasm permission ids (kasm-api.md §2a) and which ones each endpoint needs, to explain a 401. */
export const PERMISSIONS: Record<number, string> = {
  100: 'USER',
  200: 'GLOBAL_ADMIN',
  352: 'USERS_AUTH_SESSION',
  500: 'AGENTS_VIEW',
  501: 'AGENTS_MODIFY',
  502: 'AGENTS_CREATE',
  503: 'AGENTS_DELETE',
  800: 'SESSIONS_VIEW',
  801: 'SESSIONS_MODIFY',
  803: 'SESSIONS_DELETE',
  900: 'IMAGES_VIEW',
  1300: 'SETTINGS_VIEW',
  1301: 'SETTINGS_MODIFY',
  1306: 'SETTINGS_MODIFY_LOGGING',
  1700: 'REPORTS_VIEW',
  1800: 'MANAGERS_VIEW',
  1803: 'MANAGERS_DELETE',
  1900: 'ZONES_VIEW',
  1901: 'ZONES_MODIFY',
  1902: 'ZONES_CREATE',
  1903: 'ZONES_DELETE',
  2100: 'CONNECTION_PROXY_VIEW',
  2300: 'SERVERS_VIEW',
  2301: 'SERVERS_MODIFY',
  2302: 'SERVERS_CREATE',
  2303: 'SERVERS_DELETE',
  2400: 'SERVER_POOLS_VIEW',
  2401: 'SERVER_POOLS_MODIFY',
  2402: 'SERVER_POOLS_CREATE',
  2403: 'SERVER_POOLS_DELETE',
  2500: 'AUTOSCALE_VIEW',
  2501: 'AUTOSCALE_MODIFY',
  2502: 'AUTOSCALE_CREATE',
  2503: 'AUTOSCALE_DELETE',
  2600: 'VM_PROVIDERS_VIEW',
}

export interface EndpointSpec {
  /** Any one of these permissions is enough. */
  permissions: number[]
  /** Writes are never retried and are refused to read-only keys. */
  write: boolean
  /** What the key needs, in words, when "any one of `permissions`" does not say it (kasm-verified.md §1). */
  needs?: string
}

export const ENDPOINTS: Record<string, EndpointSpec> = {
  create_zone: {permissions: [1902], write: true},
  delete_manager: {permissions: [1803], write: true},
  delete_zone: {permissions: [1903], write: true},
  destroy_agent_kasms: {permissions: [803], write: true},
  destroy_kasm: {
    needs: 'USER (100) (GLOBAL_ADMIN does not imply it), USERS_AUTH_SESSION (352) to act for the session\'s owner, and SESSIONS_DELETE (803) when not acting as the owner',
    permissions: [100],
    write: true,
  },
  get_connection_proxies: {permissions: [2100], write: false},
  get_distinct_hosts: {permissions: [1700], write: false},
  get_images: {permissions: [900], write: false},
  get_kasm: {permissions: [800], write: false},
  get_kasms: {permissions: [800], write: false},
  get_managers: {permissions: [1800], write: false},
  get_report: {permissions: [1700], write: false},
  get_servers: {needs: 'AGENTS_VIEW (500) for Docker agents, SERVERS_VIEW (2300) for servers', permissions: [500, 2300], write: false},
  get_settings: {permissions: [1300], write: false},
  get_zones: {permissions: [1900], write: false},
  keepalive: {permissions: [801], write: true},
  request_kasm: {permissions: [100], write: true},
  update_server: {permissions: [2301, 501], write: true},
  update_setting: {permissions: [1301, 1306], write: true},
  update_zone: {permissions: [1901], write: true},
  get_server_pools: {permissions: [2400], write: false},
  get_autoscale_configs: {permissions: [2500], write: false},
  get_schedules: {permissions: [2500], write: false},
  update_autoscale_config: {permissions: [2501], write: true},
}

export function describePermissions(ids: number[]): string {
  return ids.map((id) => `${PERMISSIONS[id] ?? 'permission'} (${id})`).join(' or ')
}

/** What a key needs to call `method`, in words. */
export function describeEndpointNeeds(method: string): string | undefined {
  const spec = ENDPOINTS[method]
  return spec && (spec.needs ?? describePermissions(spec.permissions))
}
