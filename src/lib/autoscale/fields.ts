/**
 * Every settable autoscale config field, once: its flag, kind, Kasm's default, what it does, and its
 * 1.15 form. Flags, `autoscale get/list`, diffs, before → after and the zones file all read this table.
 * Values are held in one form whatever the Kasm version: memory in bytes, the backoff in seconds.
 */
import {formatDuration, parseDuration} from '../duration.js'
import {UsageError} from '../errors.js'
import type {RawAutoscaleConfig} from '../kasm/types.js'
import {formatBytes, parseBytes} from '../output/units.js'
import {BOOLEAN_WORDS_HELP, parseBooleanWord} from '../zones/settings.js'
import type {FieldChange} from '../zones/changes.js'

export type AutoscaleFieldKind = 'boolean' | 'count' | 'duration' | 'memory'
export type AutoscaleType = 'Docker Agent' | 'Server Pool'

export interface AutoscaleFieldSpec {
  /** Kasm's name (the 1.19 one where 1.15 differs). */
  field: string
  /** Flag name without the leading dashes. */
  flag: string
  kind: AutoscaleFieldKind
  /** Kasm's default for a new config. */
  default: boolean | null | number
  description: string
  /** Smallest value accepted (counts). */
  min?: number
  /** 1.15's name for it, and how many bytes its unit is. */
  legacy?: {field: string; unit: number}
  /** Kasm versions before this one have no such field: setting it there is a usage error. */
  since?: '1.19'
  /** The config type it matters for; both when absent. */
  appliesTo?: AutoscaleType
}

export const AUTOSCALE_FIELDS: readonly AutoscaleFieldSpec[] = [
  {default: true, description: 'whether Kasm scales with this config (autoscale enable / disable)', field: 'enabled', flag: 'enabled', kind: 'boolean'},
  {appliesTo: 'Server Pool', default: 0, description: 'Minimum Available Sessions: servers are added while the pool can take fewer new sessions', field: 'minimum_pool_standby_sessions', flag: 'min-available', kind: 'count', min: 0},
  {appliesTo: 'Server Pool', default: 1, description: 'sessions each server takes', field: 'max_simultaneous_sessions_per_server', flag: 'max-sessions-per-server', kind: 'count', min: 1},
  {appliesTo: 'Server Pool', default: null, description: 'concurrently connected users per RDP/SSH server', field: 'max_simultaneous_users', flag: 'max-users-per-server', kind: 'count', min: 1, since: '1.19'},
  {appliesTo: 'Docker Agent', default: 0, description: 'cores kept free in the zone for new sessions', field: 'standby_cores', flag: 'standby-cores', kind: 'count', min: 0},
  {appliesTo: 'Docker Agent', default: 0, description: 'memory kept free in the zone, e.g. 8GiB', field: 'standby_memory_bytes', flag: 'standby-memory', kind: 'memory', legacy: {field: 'standby_memory_mb', unit: 1e6}},
  {appliesTo: 'Docker Agent', default: 0, description: 'GPUs kept free in the zone', field: 'standby_gpus', flag: 'standby-gpus', kind: 'count', min: 0},
  {default: 900, description: 'how long a downscale waits once wanted, e.g. 10m (stops thrashing)', field: 'downscale_backoff', flag: 'downscale-backoff', kind: 'duration'},
  {default: true, description: 'new servers stay starting until they call set_server_status', field: 'require_checkin', flag: 'require-checkin', kind: 'boolean'},
  {default: false, description: 'provision on demand for queued session requests', field: 'aggressive_scaling', flag: 'aggressive', kind: 'boolean'},
  {appliesTo: 'Docker Agent', default: 0, description: 'cores new agents announce (0 = what they detect)', field: 'agent_cores_override', flag: 'agent-cores', kind: 'count', min: 0},
  {appliesTo: 'Docker Agent', default: 0, description: 'memory new agents announce, e.g. 16GiB (0 = detected)', field: 'agent_memory_override_bytes', flag: 'agent-memory', kind: 'memory', legacy: {field: 'agent_memory_override_gb', unit: 1e9}},
  {appliesTo: 'Docker Agent', default: 0, description: 'GPUs new agents announce (0 = detected)', field: 'agent_gpus_override', flag: 'agent-gpus', kind: 'count', min: 0},
  {default: false, description: 'servers are reused between sessions', field: 'reusable', flag: 'reusable', kind: 'boolean'},
]

export type AutoscaleValue = boolean | null | number
/** Field → value, in kasmctl's form (bytes, seconds). */
export type AutoscaleSettings = Record<string, AutoscaleValue>

const BY_FIELD = new Map(AUTOSCALE_FIELDS.map((spec) => [spec.field, spec]))

export function autoscaleFieldSpec(field: string): AutoscaleFieldSpec | undefined {
  return BY_FIELD.get(field)
}

/** 1.19 sends the *_bytes memory fields; 1.15 the MB/GB ones. */
export function kasmFormOf(raw: RawAutoscaleConfig): '1.15' | '1.19' {
  return 'standby_memory_bytes' in raw || 'max_simultaneous_users' in raw ? '1.19' : '1.15'
}

/** A config's settings in one form, whichever names Kasm used; fields this Kasm lacks are left out. */
export function settingsOfConfig(raw: RawAutoscaleConfig): AutoscaleSettings {
  const settings: AutoscaleSettings = {}
  for (const spec of AUTOSCALE_FIELDS) {
    if (spec.field in raw) settings[spec.field] = asValue(raw[spec.field])
    else if (spec.legacy && spec.legacy.field in raw) {
      const value = raw[spec.legacy.field]
      settings[spec.field] = value === null || value === undefined ? null : Math.round(Number(value) * spec.legacy.unit)
    }
  }

  return settings
}

function asValue(value: unknown): AutoscaleValue {
  if (value === null || value === undefined) return null
  if (typeof value === 'boolean' || typeof value === 'number') return value
  return Number.isFinite(Number(value)) ? Number(value) : null
}

/** Kasm keeps counts and the backoff in PostgreSQL INTEGER columns: more is refused with an HTTP 500. */
const MAX_KASM_INTEGER = 2 ** 31 - 1

function refuseTooLarge(value: number, max: number, source: string, raw: unknown, unit?: string): void {
  if (value > max) throw new UsageError(`${source}: ${show(raw)} is more than Kasm can store: use at most ${max}${unit ? ` ${unit}` : ''}`)
}

/**
 * Validates one value (from a flag or a file) and returns it in kasmctl's form. `source` names where
 * it came from: `--standby-memory`, or `rdp-autoscale.standby_memory_bytes` in a file.
 */
export function parseAutoscaleValue(spec: AutoscaleFieldSpec, raw: unknown, source: string): AutoscaleValue {
  const text = typeof raw === 'string' || typeof raw === 'number' ? String(raw).trim() : undefined
  switch (spec.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw
      const word = text === undefined ? undefined : parseBooleanWord(text)
      if (word === undefined) throw new UsageError(`${source}: ${show(raw)} is not a boolean: use ${BOOLEAN_WORDS_HELP}`)
      return word
    }

    case 'count': {
      const count = text !== undefined && /^\d+$/.test(text) ? Number(text) : Number.NaN
      const min = spec.min ?? 0
      if (!Number.isInteger(count) || count < min) throw new UsageError(`${source}: ${show(raw)} is not a whole number of ${min} or more`)
      refuseTooLarge(count, MAX_KASM_INTEGER, source, raw)
      return count
    }

    case 'duration': {
      let seconds: number
      if (typeof raw === 'number' && Number.isInteger(raw) && raw >= 0) {
        seconds = raw
      } else {
        if (text === undefined) throw new UsageError(`${source}: ${show(raw)} is not a duration: use e.g. 0, 90s, 10m, 1h`)
        const ms = parseDuration(text, source)
        if (ms % 1000 !== 0) throw new UsageError(`${source}: ${show(raw)} is not a whole number of seconds (Kasm keeps the backoff in seconds)`)
        seconds = ms / 1000
      }

      refuseTooLarge(seconds, MAX_KASM_INTEGER, source, raw, 'seconds')
      return seconds
    }

    case 'memory': {
      const bytes = text === undefined ? undefined : parseBytes(text)
      if (bytes === undefined) throw new UsageError(`${source}: ${show(raw)} is not a size: use bytes or a unit, e.g. 512MiB, 8GiB, 16GB, 0`)
      // 1.15 keeps memory in an INTEGER of MB, so that is the most any release takes.
      refuseTooLarge(bytes, MAX_KASM_INTEGER * 1e6, source, raw, 'bytes')
      return bytes
    }
  }
}

/** The settings given as flags (absent flags are undefined); oclif hands booleans as booleans, the rest as strings. */
export function autoscaleSettingsFromFlags(flags: Record<string, unknown>): AutoscaleSettings {
  const settings: AutoscaleSettings = {}
  for (const spec of AUTOSCALE_FIELDS) {
    const raw = flags[spec.flag]
    if (raw !== undefined) settings[spec.field] = parseAutoscaleValue(spec, raw, `--${spec.flag}`)
  }

  return settings
}

/** The fields of `wanted` that differ from `current`, in the table's order. */
export function autoscaleChanges(current: AutoscaleSettings, wanted: AutoscaleSettings): FieldChange[] {
  const changes: FieldChange[] = []
  for (const {field} of AUTOSCALE_FIELDS) {
    if (wanted[field] === undefined) continue
    const before = current[field] ?? null
    if (before !== wanted[field]) changes.push({after: wanted[field], before, field})
  }

  return changes
}

/**
 * The whole config to send: what Kasm returned, with the changes written in that Kasm's own form
 * (1.15: MB and GB memory fields). A 1.19-only field on a 1.15 Kasm is a usage error: it would be dropped.
 */
export function withChanges(raw: RawAutoscaleConfig, changes: readonly FieldChange[]): RawAutoscaleConfig {
  const form = kasmFormOf(raw)
  const sent: RawAutoscaleConfig = {...raw}
  for (const {after, field} of changes) {
    const spec = BY_FIELD.get(field)!
    if (spec.since === '1.19' && form === '1.15') {
      throw new UsageError(`--${spec.flag}: this Kasm (1.15 fields) has no ${field}; it needs Kasm 1.19 or later`, {
        hint: `leave out --${spec.flag}; on 1.15 only max_simultaneous_sessions_per_server limits a server`,
      })
    }

    if (spec.legacy && form === '1.15') sent[spec.legacy.field] = after === null ? null : Number(after) / spec.legacy.unit
    else sent[field] = after
  }

  return sent
}

/** A value as people read it: sizes in GiB, the backoff as a duration. */
export function displayAutoscaleValue(field: string, value: unknown): string {
  if (value === undefined || value === null) return '-'
  const kind = BY_FIELD.get(field)?.kind
  if (kind === 'memory') return Number(value) === 0 ? '0' : formatBytes(Number(value))
  if (kind === 'duration') return formatDuration(Number(value) * 1000)
  return String(value)
}

function show(value: unknown): string {
  return typeof value === 'string' ? `"${value}"` : JSON.stringify(value) ?? String(value)
}
