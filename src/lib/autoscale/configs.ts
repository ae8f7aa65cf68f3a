/**
 * What `pool list/get` and `autoscale list/get/set/enable/disable` read and change. One read of
 * pools, configs and zones serves every view; a change sends the whole config (kasm-verified.md §2).
 */
import {AuthError, LicenseError, OperationError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import {sameId} from '../kasm/ids.js'
import type {AutoscaleSchedule, RawAutoscaleConfig, ServerPool, Zone} from '../kasm/types.js'
import {compareNames} from '../text.js'
import {resolveRef} from '../zones/resolve.js'
import type {FieldChange} from '../zones/changes.js'
import {type AutoscaleSettings, autoscaleChanges, kasmFormOf, settingsOfConfig, withChanges} from './fields.js'

export interface AutoscaleInventory {
  configs: RawAutoscaleConfig[]
  pools: ServerPool[]
  zones: Zone[]
}

/** Pools, configs and zones (brief: without servers), read concurrently. */
export async function loadInventory(client: KasmClient): Promise<AutoscaleInventory> {
  const [configs, pools, zones] = await Promise.all([client.getAutoscaleConfigs(), client.getServerPools(), client.getZones({brief: true})])
  const byName = (a: {name: string}, b: {name: string}) => compareNames(a.name, b.name)
  return {
    configs: configs.map((c) => ({c, name: c.autoscale_config_name})).sort(byName).map(({c}) => c),
    pools: pools.map((p) => ({name: p.server_pool_name, p})).sort(byName).map(({p}) => p),
    zones,
  }
}

export function resolveConfig(configs: readonly RawAutoscaleConfig[], ref: string): RawAutoscaleConfig {
  return resolveRef(configs, ref, {id: (c) => c.autoscale_config_id, name: (c) => c.autoscale_config_name, what: 'autoscale config'})
}

export function resolvePool(pools: readonly ServerPool[], ref: string): ServerPool {
  return resolveRef(pools, ref, {id: (p) => p.server_pool_id, name: (p) => p.server_pool_name, what: 'server pool'})
}

/** One config in `autoscale list --json` (docs/json.md): identity, placement, and every field of the table. */
export interface AutoscaleConfigView {
  autoscale_config_id: string
  autoscale_config_name: string
  autoscale_type: string
  zone_id: string
  /** null when the zone no longer exists. */
  zone_name: null | string
  server_pool_id: null | string
  /** null when the config has no pool or its pool no longer exists. */
  server_pool_name: null | string
  vm_provider: null | string
  /** Which field names this Kasm uses: 1.15 (MB/GB memory, no max users) or 1.19. */
  kasm_fields: '1.15' | '1.19'
  /** Field → value in kasmctl's form (memory in bytes, backoff in seconds); fields this Kasm lacks are absent. */
  settings: AutoscaleSettings
}

/** `autoscale get --json`: the list view plus the config's schedules. */
export type AutoscaleConfigDetails = AutoscaleConfigView & {schedules: Array<Omit<AutoscaleSchedule, 'autoscale_config_id'>>}

export function configView(config: RawAutoscaleConfig, inventory: Pick<AutoscaleInventory, 'pools' | 'zones'>): AutoscaleConfigView {
  const zone = inventory.zones.find((z) => sameId(z.zone_id, config.zone_id))
  const pool = config.server_pool_id ? inventory.pools.find((p) => sameId(p.server_pool_id, config.server_pool_id)) : undefined
  return {
    autoscale_config_id: config.autoscale_config_id,
    autoscale_config_name: config.autoscale_config_name,
    autoscale_type: String(config.autoscale_type ?? 'Docker Agent'),
    kasm_fields: kasmFormOf(config),
    server_pool_id: config.server_pool_id ?? null,
    server_pool_name: pool?.server_pool_name ?? null,
    vm_provider: config.vm_provider_config?.vm_provider_display_name ?? null,
    zone_id: config.zone_id,
    zone_name: zone?.zone_name ?? null,
    settings: settingsOfConfig(config),
  }
}

export async function configDetails(client: KasmClient, config: RawAutoscaleConfig, inventory: AutoscaleInventory): Promise<AutoscaleConfigDetails> {
  const schedules = await client.getSchedules(config.autoscale_config_id)
  return {
    ...configView(config, inventory),
    schedules: schedules.map(({active_end_time, active_start_time, days_of_the_week, schedule_id, timezone}) => ({active_end_time, active_start_time, days_of_the_week, schedule_id, timezone})),
  }
}

/** One pool in `pool list --json`. */
export interface PoolView {
  server_pool_id: string
  server_pool_name: string
  server_pool_type: string
  servers: Array<{hostname: string; server_id: string}>
  autoscale_configs: Array<{autoscale_config_id: string; autoscale_config_name: string; enabled: boolean | null}>
}

export function poolView(pool: ServerPool, configs: readonly RawAutoscaleConfig[]): PoolView {
  return {
    autoscale_configs: configs
      .filter((c) => c.server_pool_id && sameId(c.server_pool_id, pool.server_pool_id))
      .map((c) => ({autoscale_config_id: c.autoscale_config_id, autoscale_config_name: c.autoscale_config_name, enabled: c.enabled ?? null})),
    server_pool_id: pool.server_pool_id,
    server_pool_name: pool.server_pool_name,
    server_pool_type: pool.server_pool_type,
    servers: (pool.servers ?? []).map(({hostname, server_id}) => ({hostname, server_id})),
  }
}

/** `autoscale set/enable/disable --json`. */
export interface AutoscaleSetResult {
  autoscale_config_id: string
  autoscale_config_name: string
  changes: FieldChange[]
  dry_run: boolean
}

/**
 * Applies settings to a config: only when something differs, and then by sending the whole config
 * with the changes in this Kasm's own field names. A dry run sends nothing.
 */
export async function setConfig(client: KasmClient, config: RawAutoscaleConfig, wanted: AutoscaleSettings, options: {dryRun: boolean}): Promise<AutoscaleSetResult> {
  const changes = autoscaleChanges(settingsOfConfig(config), wanted)
  const whole = withChanges(config, changes)
  if (changes.length > 0 && !options.dryRun) await client.updateAutoscaleConfig(whole)
  return {autoscale_config_id: config.autoscale_config_id, autoscale_config_name: config.autoscale_config_name, changes, dry_run: options.dryRun}
}

export interface ChangeOptions {
  dryRun: boolean
  yes: boolean
  interactive: boolean
  /** Shows the changes before the question (the command's renderer). */
  preview: (result: AutoscaleSetResult) => void
}

/**
 * `autoscale set / enable / disable`: resolves CONFIG, computes the changes, asks before sending
 * (unless --yes; a dry run or no change asks nothing), then sends the whole config.
 */
export async function changeConfig(client: KasmClient, ref: string, wanted: AutoscaleSettings, options: ChangeOptions): Promise<AutoscaleSetResult> {
  const {configs} = await loadInventory(client)
  const config = resolveConfig(configs, ref)
  const planned = await setConfig(client, config, wanted, {dryRun: true})
  if (options.dryRun || planned.changes.length === 0) return planned
  if (!options.yes) options.preview(planned)
  const {confirmYesNo} = await import('../output/prompt.js')
  if (!(await confirmYesNo(`Send autoscale config ${config.autoscale_config_name} with these changes?`, options))) {
    throw new OperationError('not confirmed: nothing was changed', {code: 'NOT_CONFIRMED'})
  }

  return setConfig(client, config, wanted, {dryRun: false})
}

/**
 * The autoscale configs of these zones, for `zone export`. Kasm refusing them (no Auto Scaling
 * licence, or a key without AUTOSCALE_VIEW) is not fatal to an export of zones: the error comes back.
 */
export async function configsOfZones(client: KasmClient, zones: readonly Zone[]): Promise<{configs: AutoscaleConfigView[]} | {refused: Error}> {
  try {
    const inventory = await loadInventory(client)
    const views = inventory.configs.filter((c) => zones.some((z) => sameId(z.zone_id, c.zone_id))).map((c) => configView(c, inventory))
    return {configs: views}
  } catch (error) {
    if (error instanceof AuthError || error instanceof LicenseError) return {refused: error}
    throw error
  }
}
