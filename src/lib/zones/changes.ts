/** Field-by-field changes between a zone as Kasm has it and the settings wanted. */
import type {Zone, ZoneSettings} from '../kasm/types.js'
import {ZONE_SETTINGS, displayValue, sameValue} from './settings.js'

/** One field that changes: `before` is Kasm's current value (null for a zone to create). */
export interface FieldChange {
  field: string
  before: unknown
  after: unknown
}

/** The settings in `wanted` whose value differs from `current`, in the settings table's order. */
export function settingChanges(current: Partial<Zone> | undefined, wanted: Partial<ZoneSettings>): FieldChange[] {
  const changes: FieldChange[] = []
  for (const {field} of ZONE_SETTINGS) {
    const after = wanted[field]
    if (after === undefined) continue
    const before = current?.[field] ?? null
    if (!sameValue(before, after)) changes.push({after, before, field})
  }

  return changes
}

/** The update_zone patch that makes the changes. */
export function patchOf(changes: readonly FieldChange[]): Partial<ZoneSettings> {
  return Object.fromEntries(changes.map(({after, field}) => [field, after])) as Partial<ZoneSettings>
}

/** "  search_alternate_zones: true → false", one line per change; `display` words the values (zone settings by default). */
export function formatChanges(changes: readonly FieldChange[], indent = '  ', display: (field: string, value: unknown) => string = displayValue): string {
  const width = Math.max(0, ...changes.map((change) => change.field.length))
  return changes
    .map(({after, before, field}) => `${indent}${`${field}:`.padEnd(width + 1)} ${display(field, before)} → ${display(field, after)}`)
    .join('\n')
}
