/**
 * Every settable zone field, once: its command-line flag, its kind, Kasm's default and what it does.
 * Flags, the zones file, diffs and `zone get` all read this table, so a field is added in one place.
 */
import {UsageError, listValues} from '../errors.js'
import type {LoadStrategy, Zone, ZoneSettings} from '../kasm/types.js'
import type {KasmVersion} from '../kasm/version.js'
import {hasControlCharacter} from '../text.js'

export type SettingField = keyof ZoneSettings
export type SettingValue = ZoneSettings[SettingField]
export type SettingKind = 'boolean' | 'port' | 'strategy' | 'string'

export interface ZoneSettingSpec {
  field: SettingField
  /** Flag name without the leading dashes. */
  flag: string
  kind: SettingKind
  /** Kasm's default for a new zone (kasm-api.md §5.1). */
  default: SettingValue
  description: string
  /** Strings that may be empty (a path); host names and addresses may not. */
  allowEmpty?: boolean
  /** The Kasm release that added it (kasm-verified.md §1); the classic fields are in 1.15 already. */
  since?: KasmVersion
}

/** The longest zone name or string setting kasmctl sends (Kasm's VARCHAR columns take any length; no real name comes near). */
export const MAX_ZONE_TEXT = 255

export const REQUEST_HOST = '$request_host$'

/** Upstream auth addresses that mean "not configured": the 1.15 default and the documented one. */
const DEFAULT_UPSTREAM = new Set([REQUEST_HOST, 'proxy'])

/** An upstream auth address left at a default: autoscaled servers cannot reach the API with it. */
export function isDefaultUpstream(address: string): boolean {
  return DEFAULT_UPSTREAM.has(address)
}

export const ZONE_SETTINGS: readonly ZoneSettingSpec[] = [
  {default: 'least_load', description: 'how Kasm picks the agent for a new session', field: 'load_strategy', flag: 'load-strategy', kind: 'strategy'},
  {default: true, description: 'fall back to agents in other zones when this zone has no capacity', field: 'search_alternate_zones', flag: 'search-alternate', kind: 'boolean'},
  {default: true, description: 'prefer static agents over autoscaled ones', field: 'prioritize_static_agents', flag: 'prioritize-static-agents', kind: 'boolean'},
  {default: REQUEST_HOST, description: 'origin domain allowed to connect to sessions', field: 'allow_origin_domain', flag: 'allow-origin-domain', kind: 'string'},
  {default: REQUEST_HOST, description: 'address of the API server that session connections authenticate against (set it before enabling AutoScaling)', field: 'upstream_auth_address', flag: 'upstream-auth-address', kind: 'string'},
  {default: true, description: 'proxy session connections (off: users connect to the agent directly)', field: 'proxy_connections', flag: 'proxy-connections', kind: 'boolean'},
  {default: REQUEST_HOST, description: 'host name of the proxy that session connections go through', field: 'proxy_hostname', flag: 'proxy-hostname', kind: 'string'},
  {allowEmpty: true, default: 'desktop', description: 'base path appended to proxied session connections', field: 'proxy_path', flag: 'proxy-path', kind: 'string'},
  {default: 443, description: 'port of the proxy, 0-65535 (0 = the port the browser used)', field: 'proxy_port', flag: 'proxy-port', kind: 'port'},
  {default: true, description: 'proxy RDP client connections', field: 'proxy_rdp_client_connections', flag: 'proxy-rdp-client-connections', kind: 'boolean', since: '1.16'},
  {default: REQUEST_HOST, description: 'host name of the proxy for RDP client connections', field: 'proxy_rdp_hostname', flag: 'proxy-rdp-hostname', kind: 'string', since: '1.19'},
  {default: 443, description: 'port of the proxy for RDP client connections, 0-65535', field: 'proxy_rdp_port', flag: 'proxy-rdp-port', kind: 'port', since: '1.19'},
  {default: false, description: 'check that RDP clients connect from the address that requested the session', field: 'verify_rdp_client_ip', flag: 'verify-rdp-client-ip', kind: 'boolean', since: '1.19'},
  {default: true, description: 'enable the RDP HTTPS gateway', field: 'enable_rdp_https_gw', flag: 'enable-rdp-https-gw', kind: 'boolean', since: '1.19'},
  {default: false, description: 'enable data loss prevention on the RDP HTTPS gateway', field: 'enable_rdp_https_gw_dlp', flag: 'enable-rdp-https-gw-dlp', kind: 'boolean', since: '1.19'},
  {default: false, description: 'let RDP clients log in directly', field: 'enable_rdp_direct_login', flag: 'enable-rdp-direct-login', kind: 'boolean', since: '1.19'},
]

const BY_FIELD = new Map<string, ZoneSettingSpec>(ZONE_SETTINGS.map((spec) => [spec.field, spec]))

export function settingSpec(field: string): undefined | ZoneSettingSpec {
  return BY_FIELD.get(field)
}

/** Friendly names (the admin UI's labels) and Kasm's own values, both accepted. */
const STRATEGIES: Record<string, LoadStrategy> = {
  'least-load': 'least_load',
  'least-sessions': 'least_kasms',
  least_kasms: 'least_kasms',
  least_load: 'least_load',
  'most-load': 'most_load',
  'most-sessions': 'most_kasms',
  most_kasms: 'most_kasms',
  most_load: 'most_load',
}
export const STRATEGY_NAMES = ['least-load', 'most-load', 'least-sessions', 'most-sessions'] as const
const FRIENDLY_STRATEGY: Record<LoadStrategy, string> = {
  least_kasms: 'least-sessions',
  least_load: 'least-load',
  most_kasms: 'most-sessions',
  most_load: 'most-load',
}

const BOOLEAN_WORDS: Record<string, boolean> = {0: false, 1: true, false: false, no: false, true: true, yes: true}
/** For messages: the words a boolean setting accepts. */
export const BOOLEAN_WORDS_HELP = listValues(['true', 'false', 'yes', 'no', '1', '0'])

/** true/false/yes/no/1/0 (any case) to a boolean; undefined for anything else. */
export function parseBooleanWord(text: string): boolean | undefined {
  return BOOLEAN_WORDS[text.trim().toLowerCase()]
}

/**
 * Validates one setting value (from a flag or a zones file) and returns it in Kasm's form. `source`
 * names where it came from in messages: `--proxy-port`, or `east.proxy_port` in a zones file.
 * Throws a UsageError naming the bad value and the valid ones.
 */
export function parseSetting(spec: ZoneSettingSpec, raw: unknown, source: string): SettingValue {
  switch (spec.kind) {
    case 'boolean': {
      if (typeof raw === 'boolean') return raw
      const word = typeof raw === 'string' || typeof raw === 'number' ? parseBooleanWord(String(raw)) : undefined
      if (word === undefined) throw new UsageError(`${source}: ${show(raw)} is not a boolean: use ${BOOLEAN_WORDS_HELP}`)
      return word
    }

    case 'port': {
      const text = typeof raw === 'number' || typeof raw === 'string' ? String(raw).trim() : ''
      const port = /^-?\d+$/.test(text) ? Number(text) : Number.NaN
      if (!Number.isInteger(port) || port < 0 || port > 65_535) {
        throw new UsageError(`${source}: ${show(raw)} is not a port: use a whole number from 0 to 65535 (0 = the port the browser used)`)
      }

      return port
    }

    case 'strategy': {
      const strategy = typeof raw === 'string' ? STRATEGIES[raw.trim().toLowerCase()] : undefined
      if (!strategy) {
        throw new UsageError(`${source}: ${show(raw)} is not a load strategy: use ${listValues(STRATEGY_NAMES)} (Kasm's least_load, most_load, least_kasms, most_kasms are accepted too)`)
      }

      return strategy
    }

    default: {
      if (typeof raw !== 'string') throw new UsageError(`${source}: ${show(raw)} is not a string (quote it)`)
      if (!spec.allowEmpty && raw.trim() === '') {
        throw new UsageError(`${source}: must not be empty: use a host name, an address or ${REQUEST_HOST} (the host the user connected to)`)
      }

      checkZoneText(raw, source)
      return raw.trim()
    }
  }
}

/** A value as people read it: friendly strategy names, the rest as is. */
export function displayValue(field: string, value: unknown): string {
  if (value === undefined || value === null) return '-'
  if (field === 'load_strategy' && typeof value === 'string') return FRIENDLY_STRATEGY[value as LoadStrategy] ?? value
  if (typeof value === 'string') return value === '' ? '""' : value
  return String(value)
}

/** The settings of a zone as Kasm reports them, in the table's order, for files and diffs. */
export function settingsOf(zone: Partial<Zone>): Partial<ZoneSettings> {
  const settings: Record<string, unknown> = {}
  for (const {field} of ZONE_SETTINGS) if (zone[field] !== undefined && zone[field] !== null) settings[field] = zone[field]
  return settings as Partial<ZoneSettings>
}

/**
 * The settings this server has: the classic ones, and the later ones its get_zones returns (1.15
 * has none of the RDP fields, 1.16 one, 1.19 all; kasm-verified.md §1). Every setting when there is
 * no zone to look at.
 */
export function supportedFields(zones: readonly Partial<Zone>[]): Set<SettingField> {
  const present = ZONE_SETTINGS.filter((spec) => !spec.since || zones.length === 0 || zones.some((zone) => spec.field in zone))
  return new Set(present.map((spec) => spec.field))
}

/** The settings among `settings` that are in `supported`, and the names of those that are not. */
export function splitSupported(settings: Partial<ZoneSettings>, supported: ReadonlySet<SettingField>): {kept: Partial<ZoneSettings>; dropped: SettingField[]} {
  const kept: Record<string, unknown> = {}
  const dropped: SettingField[] = []
  for (const [field, value] of Object.entries(settings) as Array<[SettingField, unknown]>) {
    if (supported.has(field)) kept[field] = value
    else dropped.push(field)
  }

  return {dropped, kept: kept as Partial<ZoneSettings>}
}

/**
 * Refuses settings this server does not have, before anything is sent: Kasm would accept them and
 * silently drop them. `zones` are this server's (get_zones), which also say its release.
 */
export async function assertSupported(settings: Partial<ZoneSettings>, zones: readonly Partial<Zone>[]): Promise<void> {
  const {dropped} = splitSupported(settings, supportedFields(zones))
  if (dropped.length === 0) return
  const {versionFromApiShape} = await import('../kasm/version.js')
  const release = versionFromApiShape({zones: zones as Array<Record<string, unknown>>})?.version ?? 'unknown'
  const names = dropped.map((field) => `--${settingSpec(field)!.flag} (${field}, Kasm ${settingSpec(field)!.since ?? '1.15'}+)`)
  throw new UsageError(`${names.join(', ')}: not a zone setting of this Kasm (version ${release}: its get_zones does not return ${dropped.length === 1 ? 'it' : 'them'}); nothing was sent`, {
    details: {kasm_version: release === 'unknown' ? null : release, unsupported: dropped},
    hint: `Kasm ${release} would accept ${dropped.length === 1 ? 'it' : 'them'} and silently drop ${dropped.length === 1 ? 'it' : 'them'}: leave ${dropped.length === 1 ? 'it' : 'them'} out, or upgrade Kasm`,
  })
}

/** Kasm's defaults, with the given settings on top: what create_zone receives. Only the `supported` fields when given. */
export function withDefaults(settings: Partial<ZoneSettings>, supported?: ReadonlySet<SettingField>): ZoneSettings {
  const full: Record<string, unknown> = {}
  for (const spec of ZONE_SETTINGS) if (!supported || supported.has(spec.field)) full[spec.field] = settings[spec.field] ?? spec.default
  return full as unknown as ZoneSettings
}

/** Equal as Kasm stores them: 443 and "443" are the same value. */
export function sameValue(a: unknown, b: unknown): boolean {
  return a === b || (a !== undefined && b !== undefined && a !== null && b !== null && String(a) === String(b))
}

/**
 * Reads the setting flags of `zone create` / `zone set` (absent flags are undefined) into a partial
 * settings object. Flags arrive as oclif parsed them: booleans as booleans, the rest as strings.
 */
export function settingsFromFlags(flags: Record<string, unknown>): Partial<ZoneSettings> {
  const settings: Record<string, unknown> = {}
  for (const spec of ZONE_SETTINGS) {
    const raw = flags[spec.flag]
    if (raw !== undefined) settings[spec.field] = parseSetting(spec, raw, `--${spec.flag}`)
  }

  return settings as Partial<ZoneSettings>
}

/** Zone names: not empty, no surrounding or control whitespace (web apps register by this exact name). */
export function parseZoneName(raw: unknown, source: string): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new UsageError(`${source} ${show(raw)} is empty: give a name such as "east"`)
  }

  if (raw !== raw.trim() || /[\p{Cc}]/u.test(raw)) {
    throw new UsageError(`${source} ${show(raw)} has surrounding whitespace or control characters: use ${show(raw.trim().replaceAll(/\p{Cc}/gu, ''))}`)
  }

  checkZoneText(raw, source)
  return raw
}

/** Control characters (a newline, a NUL that Kasm's database refuses mid-apply) and overlong values, in names and settings alike. */
function checkZoneText(raw: string, source: string): void {
  if (hasControlCharacter(raw)) throw new UsageError(`${source}: ${show(raw)} contains a control character (newline, tab, NUL...): remove it`)
  if (raw.length > MAX_ZONE_TEXT) throw new UsageError(`${source}: ${show(raw)} is ${raw.length} characters long: at most ${MAX_ZONE_TEXT}`)
}

/** A value as messages show it: control characters escaped, long values cut. */
function show(value: unknown): string {
  if (typeof value !== 'string') return JSON.stringify(value) ?? String(value)
  const shown = JSON.stringify(value)
  return shown.length > 60 ? `${shown.slice(0, 57)}..."` : shown
}
