/**
 * Flags generated from the tables of plan inputs and autoscale fields. Not in flags.ts, which every command
 * loads: only `plan`, `ha` and `autoscale set` pay for loading those tables.
 */
import {Flags} from '@oclif/core'

import {fieldTableFlags} from './flags.js'
import {AUTOSCALE_FIELDS, type AutoscaleFieldKind} from './lib/autoscale/fields.js'
import {PLAN_INPUTS} from './lib/plan/inputs.js'

/** `plan` (and `ha`, a subset): one flag per plan input (src/lib/plan/inputs.ts); values are validated by the table, not by oclif. */
export function planInputFlags(only?: readonly string[]) {
  return Object.fromEntries(
    PLAN_INPUTS.filter((spec) => !only || only.includes(spec.flag)).map((spec) => {
      const description = spec.default === undefined ? spec.description : `${spec.description} [default: ${spec.default}]`
      if (spec.kind === 'boolean') return [spec.flag, Flags.boolean({description, exclusive: spec.exclusive})]
      const helpValue = spec.options ? spec.options.join('|') : {bytes: 'SIZE', count: 'N', size: 'CcMg', workspace: 'CcMg[:SHARE%]'}[spec.kind as string]
      return [spec.flag, spec.kind === 'workspace' ? Flags.string({description, helpValue, multiple: true}) : Flags.string({description, helpValue})]
    }),
  )
}

/** `autoscale set`: one flag per autoscale config field (src/lib/autoscale/fields.ts), help grouped. */
export function autoscaleFieldFlags() {
  const helpValues: Record<AutoscaleFieldKind, string> = {boolean: '', count: 'N', duration: 'DURATION', memory: 'SIZE'}
  return fieldTableFlags(AUTOSCALE_FIELDS, 'AUTOSCALE FIELDS', helpValues)
}
