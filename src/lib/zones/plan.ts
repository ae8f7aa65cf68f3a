/**
 * What `zone diff` shows and `zone apply` does: the zone creates, updates and (with prune)
 * deletes that make Kasm match a zones file. Applying a plan twice changes nothing the second time.
 */
import {OperationError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import type {Zone} from '../kasm/types.js'
import {type FieldChange, formatChanges, patchOf, settingChanges} from './changes.js'
import type {ZonesFile} from './file.js'
import {deleteZone} from './operations.js'
import {type SettingField, splitSupported, supportedFields, withDefaults} from './settings.js'

export interface PlanAction {
  action: 'create' | 'delete' | 'update'
  zone_name: string
  /** null for a zone to create. */
  zone_id: null | string
  /** For create: every setting sent (the file's, then Kasm's defaults). Empty for delete. */
  changes: FieldChange[]
}

export interface Plan {
  /** True when applying would change something (zone diff exits 1). */
  changed: boolean
  actions: PlanAction[]
  /** Zones in the file that already match it. */
  unchanged: string[]
  /** Settings of the file this Kasm does not have (its get_zones does not return them): never sent, never a change. */
  ignored: Array<{zone_name: string; fields: SettingField[]}>
}

/** Compares the file with Kasm's zones. With `prune`, zones missing from the file are deleted. */
export function planZones(live: readonly Zone[], file: ZonesFile, options: {prune: boolean}): Plan {
  const byName = new Map(live.map((zone) => [zone.zone_name, zone]))
  const supported = supportedFields(live)
  const actions: PlanAction[] = []
  const unchanged: string[] = []
  const ignored: Plan['ignored'] = []
  for (const wanted of file.zones) {
    // A field this release lacks could never be made to match: it is no drift, only a note.
    const {dropped, kept} = splitSupported(wanted.settings, supported)
    if (dropped.length > 0) ignored.push({fields: dropped, zone_name: wanted.name})
    const current = byName.get(wanted.name)
    if (!current) {
      actions.push({action: 'create', changes: settingChanges(undefined, withDefaults(kept, supported)), zone_id: null, zone_name: wanted.name})
      continue
    }

    const changes = settingChanges(current, kept)
    if (changes.length === 0) unchanged.push(wanted.name)
    else actions.push({action: 'update', changes, zone_id: current.zone_id, zone_name: wanted.name})
  }

  if (options.prune) {
    const inFile = new Set(file.zones.map((zone) => zone.name))
    for (const zone of live) {
      if (!inFile.has(zone.zone_name)) actions.push({action: 'delete', changes: [], zone_id: zone.zone_id, zone_name: zone.zone_name})
    }
  }

  return {actions, changed: actions.length > 0, ignored, unchanged}
}

/** The plan as `zone diff` prints it: + create, ~ update, - delete, each with its field changes. */
export function formatPlan(plan: Plan): string {
  const notes = plan.ignored.map(({fields, zone_name}) => `! ignored for zone ${zone_name}, not fields of this Kasm: ${fields.join(', ')}`)
  if (!plan.changed) return [`no changes: ${plan.unchanged.length} zone(s) match the file`, ...notes].join('\n')
  const blocks = plan.actions.map((action) => {
    const head = `${SIGN[action.action]} zone ${action.zone_name}${action.action === 'create' ? ' (new)' : ''}${action.action === 'delete' ? ' (not in the file; --prune)' : ''}`
    return action.changes.length > 0 ? `${head}\n${formatChanges(action.changes, '    ')}` : head
  })
  if (plan.unchanged.length > 0) blocks.push(`= unchanged: ${plan.unchanged.join(', ')}`)
  return [...blocks, ...notes].join('\n')
}

const SIGN: Record<PlanAction['action'], string> = {create: '+', delete: '-', update: '~'}

/** One step of an apply, for a progress renderer. */
export interface ApplyTask {
  title: string
  run: () => Promise<void>
}

/** Runs tasks in order; the default runs them one after the other with no output. */
export type TaskRunner = (tasks: ApplyTask[]) => Promise<void>

const sequential: TaskRunner = async (tasks) => {
  for (const task of tasks) await task.run()
}

/**
 * Applies the plan one zone at a time, in the plan's order (creates and updates before deletes).
 * On a failure, the error says which zones were done and which were not; running the same apply
 * again carries on from there, since the plan is recomputed from Kasm's state.
 */
export async function applyPlan(client: KasmClient, plan: Plan, live: readonly Zone[], runTasks: TaskRunner = sequential): Promise<void> {
  const done: string[] = []
  const tasks = plan.actions.map((action) => ({
    run: async () => {
      await applyAction(client, action, live)
      done.push(`${action.action} ${action.zone_name}`)
    },
    title: `${action.action} zone ${action.zone_name}${action.changes.length > 0 && action.action === 'update' ? ` (${action.changes.map((c) => c.field).join(', ')})` : ''}`,
  }))
  try {
    await runTasks(tasks)
  } catch (error) {
    const remaining = plan.actions.slice(done.length).map((action) => `${action.action} ${action.zone_name}`)
    throw new OperationError(
      `zone apply stopped at "${remaining[0]}": ${(error as Error).message}\n  done: ${done.join(', ') || 'nothing'}\n  not done: ${remaining.slice(1).join(', ') || 'nothing else'}`,
      {
        cause: error,
        code: 'APPLY_INCOMPLETE',
        details: {done, failed: remaining[0], not_done: remaining.slice(1)},
        hint: 'fix the cause and run the same `kasmctl zone apply` again: it recomputes the plan and carries on from here',
      },
    )
  }
}

async function applyAction(client: KasmClient, action: PlanAction, live: readonly Zone[]): Promise<void> {
  switch (action.action) {
    case 'create': {
      await client.createZone({...patchOf(action.changes), zone_name: action.zone_name})
      break
    }

    case 'update': {
      await client.updateZone(action.zone_id!, patchOf(action.changes))
      break
    }

    case 'delete': {
      await deleteZone(client, live.find((zone) => zone.zone_id === action.zone_id)!, {dryRun: false})
      break
    }
  }
}
