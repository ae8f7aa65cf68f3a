/**
 * The `autoscale:` part of a zones file in `zone diff` / `zone apply`: field changes to existing
 * configs, each sent as the whole config. Configs are not created, moved or deleted from a file:
 * their VM provider settings and credentials are not in it (the admin UI does that).
 */
import {UsageError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import type {RawAutoscaleConfig} from '../kasm/types.js'
import type {FieldChange} from '../zones/changes.js'
import {formatChanges} from '../zones/changes.js'
import type {DesiredAutoscale} from '../zones/file.js'
import {type AutoscaleInventory, configView} from './configs.js'
import {autoscaleChanges, displayAutoscaleValue, settingsOfConfig, withChanges} from './fields.js'

export interface AutoscalePlanAction {
  action: 'update'
  autoscale_config_id: string
  autoscale_config_name: string
  changes: FieldChange[]
}

export interface AutoscalePlan {
  changed: boolean
  actions: AutoscalePlanAction[]
  /** Configs in the file that already match it. */
  unchanged: string[]
}

/**
 * Compares the file's configs with Kasm's. A config Kasm lacks, or one the file places in another
 * zone or pool, is a usage error (exit 64) before anything is sent; so is a 1.19 field on older Kasm.
 */
function planAutoscale(inventory: AutoscaleInventory, desired: readonly DesiredAutoscale[]): AutoscalePlan {
  const actions: AutoscalePlanAction[] = []
  const unchanged: string[] = []
  for (const wanted of desired) {
    const config = inventory.configs.find((c) => c.autoscale_config_name === wanted.name)
    if (!config) {
      throw new UsageError(`autoscale config "${wanted.name}" of the file is not in Kasm (known: ${inventory.configs.map((c) => c.autoscale_config_name).join(', ') || 'none'}); nothing was sent`, {
        hint: 'zone apply changes existing autoscale configs only: create it in the admin UI (its VM provider settings are not in the file), or fix the name',
      })
    }

    const view = configView(config, inventory)
    for (const [key, actual] of [['zone', view.zone_name], ['pool', view.server_pool_name]] as const) {
      if (wanted[key] !== undefined && wanted[key] !== actual) {
        throw new UsageError(`autoscale config "${wanted.name}" is in ${key} ${actual ?? '(none)'}, the file says ${wanted[key]}; nothing was sent`, {
          hint: `zone apply does not move autoscale configs: fix the file's ${key}, or change it in the admin UI`,
        })
      }
    }

    const changes = autoscaleChanges(settingsOfConfig(config), wanted.settings)
    withChanges(config, changes) // refuses a field this Kasm lacks, before anything is sent
    if (changes.length === 0) unchanged.push(wanted.name)
    else actions.push({action: 'update', autoscale_config_id: config.autoscale_config_id, autoscale_config_name: config.autoscale_config_name, changes})
  }

  return {actions, changed: actions.length > 0, unchanged}
}

/** "~ autoscale rdp-autoscale" and its field changes, as formatPlan prints zones. */
export function formatAutoscalePlan(plan: AutoscalePlan): string {
  const blocks = plan.actions.map((action) => `~ autoscale ${action.autoscale_config_name}\n${formatChanges(action.changes, '    ', displayAutoscaleValue)}`)
  if (plan.unchanged.length > 0) blocks.push(`= autoscale unchanged: ${plan.unchanged.join(', ')}`)
  return blocks.join('\n')
}

/** Sends each changed config whole, in the plan's order. */
export async function applyAutoscalePlan(client: KasmClient, plan: AutoscalePlan, configs: readonly RawAutoscaleConfig[]): Promise<void> {
  for (const action of plan.actions) {
    const config = configs.find((c) => c.autoscale_config_id === action.autoscale_config_id)!
    await client.updateAutoscaleConfig(withChanges(config, action.changes))
  }
}

/** The file's autoscale part planned against Kasm, or undefined when the file has no `autoscale:` configs. */
export async function planFileAutoscale(client: KasmClient, desired: readonly DesiredAutoscale[] | undefined): Promise<undefined | {inventory: AutoscaleInventory; plan: AutoscalePlan}> {
  if (!desired || desired.length === 0) return undefined
  const {loadInventory} = await import('./configs.js')
  const inventory = await loadInventory(client)
  return {inventory, plan: planAutoscale(inventory, desired)}
}
