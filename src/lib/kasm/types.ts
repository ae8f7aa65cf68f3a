/**
 * Kasm API objects as kasmctl reads them (kasm-api.md §5). Field names are Kasm's own.
 * Memory fields are normalised on read: 1.15 says `memory`, 1.19 `memory_bytes`; both end up in `memory`.
 */

export type LoadStrategy = 'least_kasms' | 'least_load' | 'most_kasms' | 'most_load'

/** Every settable zone field (create_zone / update_zone). */
export interface ZoneSettings {
  allow_origin_domain: string
  enable_rdp_direct_login: boolean
  enable_rdp_https_gw: boolean
  enable_rdp_https_gw_dlp: boolean
  load_strategy: LoadStrategy
  prioritize_static_agents: boolean
  proxy_connections: boolean
  proxy_hostname: string
  proxy_path: string
  proxy_port: number
  proxy_rdp_client_connections: boolean
  proxy_rdp_hostname: string
  proxy_rdp_port: number
  search_alternate_zones: boolean
  upstream_auth_address: string
  verify_rdp_client_ip: boolean
}

export interface Zone extends Partial<ZoneSettings> {
  available_cores?: number
  available_gpus?: number
  available_memory?: number
  managers?: Array<{manager_hostname: string; manager_id: string}>
  num_kasms?: number
  primary_manager_id?: null | string
  servers?: Server[]
  zone_id: string
  zone_name: string
}

export type ServerType = 'Desktop' | 'host'

export interface Server {
  agent_version?: null | string
  connection_type?: null | string
  cores?: number
  cores_override?: number
  enabled: boolean
  friendly_name?: null | string
  /** GPUs the agent detected; 0 without. */
  gpus?: number
  /** 0 = no override. */
  gpus_override?: number
  hostname: string
  kasms?: Array<{kasm_id: string; keepalive_date?: string; start_date?: string; user?: {user_id?: string; username?: string}}>
  last_reported?: null | string
  last_reported_elapsed?: null | string
  manager_id?: null | string
  max_simultaneous_sessions?: null | number
  /** Bytes (normalised from `memory` / `memory_bytes`). */
  memory?: number
  /** Bytes; 0 = no override (normalised from `memory_override` / `memory_override_bytes`). */
  memory_override?: number
  operational_status?: null | string
  port?: null | number
  server_id: string
  server_type: ServerType | string
  zone_id?: null | string
  zone_name?: null | string
  [key: string]: unknown
}

export interface Manager {
  first_reported?: null | string
  last_reported?: null | string
  last_reported_elapsed?: null | string
  last_reported_seconds?: null | number
  manager_hostname: string
  manager_id: string
  manager_version?: null | string
  servers?: Array<{hostname: string; server_id: string}>
  zone_id: string
  zone_name?: string
}

export interface ConnectionProxy {
  connection_proxy_id: string
  connection_proxy_type: string
  last_reported?: null | string
  last_reported_elapsed?: null | string
  last_reported_seconds?: null | number
  server_address: string
  server_port: number
  zone_id: string
  zone_name?: string
}

export interface Kasm {
  container_ip?: null | string
  cores?: number
  created_date?: string
  expiration_date?: string
  hostname?: null | string
  image?: {friendly_name?: string; image_id?: string; image_type?: string; name?: string}
  image_id?: string
  gpus?: number
  kasm_id: string
  keepalive_date?: string
  /** Bytes (normalised from `memory` / `memory_bytes`). */
  memory?: number
  operational_status: string
  server?: {hostname?: null | string; port?: null | number; provider?: null | string; zone_name?: null | string}
  server_id?: null | string
  start_date?: null | string
  user?: {username?: string}
  user_id?: string
  [key: string]: unknown
}

export interface Setting {
  category: string
  description?: string
  name: string
  setting_id: string
  title?: string
  value: string
  value_type?: string
}

export interface HealthcheckResult {
  /** True when HTTP 200 and the body is `{"ok": true}`. */
  ok: boolean
  status?: number
  latencyMs: number
  body?: string
  error?: string
}

/**
 * A workspace image (`get_images`, kasm-verified.md §3). Sizes are normalised on read: 1.19's
 * `memory_bytes` / `uncompressed_size_bytes` and 1.15's `memory` / `uncompressed_size_mb` both end up
 * in `memory` (bytes) and `uncompressed_size_bytes`; missing cores / memory get Kasm's defaults.
 */
export interface Image {
  image_id: string
  name: string
  friendly_name?: null | string
  /** Float; Kasm's default 1. */
  cores: number
  /** Bytes; Kasm's default 768000000. */
  memory: number
  gpu_count: number
  require_gpu?: boolean
  /** Inherit | Quotas | Shares. */
  cpu_allocation_method?: null | string
  uncompressed_size_bytes: null | number
  enabled: boolean
  restrict_to_zone?: boolean
  zone_id?: null | string
  server_pool_id?: null | string
  image_type?: null | string
  [key: string]: unknown
}

export type ServerPoolType = 'Docker Agent' | 'Server Pool'

/** get_server_pools (kasm-verified.md §2). */
export interface ServerPool {
  server_pool_id: string
  server_pool_name: string
  server_pool_type: ServerPoolType | string
  servers?: Array<{friendly_name?: null | string; hostname: string; server_id: string}>
  autoscale_configs?: Array<{autoscale_config_id: string; autoscale_config_name: string}>
  /** 1.19. */
  server_assignment_enabled?: boolean
  [key: string]: unknown
}

/**
 * An autoscale config exactly as Kasm sends it: 1.15 says standby_memory_mb and
 * agent_memory_override_gb, 1.19 *_bytes and adds max_simultaneous_users (src/lib/autoscale/fields.ts).
 */
export interface RawAutoscaleConfig {
  autoscale_config_id: string
  autoscale_config_name: string
  autoscale_type?: ServerPoolType | string
  enabled?: boolean
  zone_id: string
  server_pool_id?: null | string
  vm_provider_config?: null | {max_instances?: number; vm_provider_display_name?: string}
  [key: string]: unknown
}

export interface AutoscaleSchedule {
  schedule_id: string
  autoscale_config_id: string
  days_of_the_week: number[]
  active_start_time: string
  active_end_time: string
  timezone: string
}
