/**
 * Zones as code: the YAML document `zone export` writes and `zone diff` / `zone apply` / `zone lint`
 * read. Zones and autoscale configs are keyed by name (never ids), fields use Kasm's names, and every
 * problem is reported with its line and column before anything is sent.
 *
 *   version: 1
 *   zones:
 *     east:
 *       enclave: true              # kasmctl policy, not a Kasm field (zone lint)
 *       search_alternate_zones: false
 *   autoscale:                     # optional: existing autoscale configs (src/lib/autoscale/fields.ts)
 *     rdp-autoscale:
 *       zone: default              # where it is: checked, not changed
 *       pool: rdp-pool
 *       minimum_pool_standby_sessions: 4
 *       downscale_backoff: 600
 */
import {readFile, stat} from 'node:fs/promises'
import {Document, isMap, isScalar, LineCounter, type Node, parseDocument, type Pair, type YAMLMap} from 'yaml'

import {UsageError} from '../errors.js'
import type {AutoscaleConfigView} from '../autoscale/configs.js'
import {AUTOSCALE_FIELDS, type AutoscaleSettings, autoscaleFieldSpec, parseAutoscaleValue} from '../autoscale/fields.js'
import type {Zone, ZoneSettings} from '../kasm/types.js'
import {compareNames} from '../text.js'
import {ZONE_SETTINGS, parseBooleanWord, parseZoneName, parseSetting, settingSpec, settingsOf} from './settings.js'

export const FILE_VERSION = 1

export interface DesiredZone {
  name: string
  /** `enclave: true`: a security boundary (zone lint checks search_alternate_zones is off). */
  enclave: boolean
  /** Only the settings the file gives; the others are left as they are (or Kasm's defaults on create). */
  settings: Partial<ZoneSettings>
}

/** An existing autoscale config as the file wants it: only the fields it gives are managed. */
export interface DesiredAutoscale {
  name: string
  /** Names the file expects the config to be in (checked against Kasm; zone apply does not move configs). */
  zone?: string
  pool?: string
  settings: AutoscaleSettings
}

export interface ZonesFile {
  /** The path as given (`-` for stdin), for messages. */
  source: string
  zones: DesiredZone[]
  /** The file's `autoscale:` configs; absent or empty when it has none. */
  autoscale?: DesiredAutoscale[]
}

/** zone and pool names, then the config's fields (AutoscaleSettings). */
export type AutoscaleDocumentEntry = Record<string, AutoscaleSettings[string] | string>

export interface ZonesDocument {
  version: typeof FILE_VERSION
  zones: Record<string, Partial<ZoneSettings> & {enclave?: true}>
  autoscale?: Record<string, AutoscaleDocumentEntry>
}

/** Reads and validates a zones file (`-` reads stdin). All problems are reported at once, exit 64. */
/** The largest zones file read: about 20,000 zones with every setting, far beyond any deployment. */
export const MAX_ZONES_FILE_BYTES = 8 * 1024 * 1024

export async function readZonesFile(path: string, stdin: NodeJS.ReadableStream = process.stdin): Promise<ZonesFile> {
  let text: string
  try {
    if (path !== '-' && (await stat(path)).size > MAX_ZONES_FILE_BYTES) throw tooLarge(path)
    text = path === '-' ? await readStream(stdin, () => tooLarge('<stdin>')) : await readFile(path, 'utf8')
  } catch (error) {
    if (error instanceof UsageError) throw error
    throw new UsageError(`cannot read zones file ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, {
      hint: 'give an existing file with -f (or - for stdin); `kasmctl zone export > zones.yaml` writes one',
    })
  }

  return parseZonesFile(text, path === '-' ? '<stdin>' : path)
}

export function parseZonesFile(text: string, source: string): ZonesFile {
  const lines = new LineCounter()
  // yaml's own uniqueKeys check compares every key with every other (quadratic on 8,000 zones): checkUniqueKeys is linear.
  const doc = parseDocument(text, {lineCounter: lines, prettyErrors: false, uniqueKeys: false})
  const problems = new Problems(source, lines)
  for (const error of doc.errors) problems.add(error.pos[0], `not valid YAML: ${error.message.replace(/ at line \d+, column \d+:?.*$/s, '')}`)
  problems.throwIfAny()

  const read = readDocument(doc, problems)
  problems.throwIfAny()
  return {autoscale: read.autoscale, source, zones: read.zones}
}

function readDocument(doc: Document, problems: Problems): {autoscale: DesiredAutoscale[]; zones: DesiredZone[]} {
  const root = doc.contents
  const autoscaleNode = isMap(root) ? (root.items as Pair<Node, Node | null>[]).find((pair) => keyOf(pair) === 'autoscale')?.value : undefined
  return {autoscale: autoscaleNode ? readAutoscaleSection(autoscaleNode, problems) : [], zones: readZones(doc, problems)}
}

function readZones(doc: Document, problems: Problems): DesiredZone[] {
  const root = doc.contents
  if (!isMap(root)) {
    problems.add(root?.range?.[0] ?? 0, 'expected a mapping with `version: 1` and `zones:` (see `kasmctl zone export`)')
    return []
  }

  let zonesNode: Node | null | undefined
  checkUniqueKeys(root.items as Pair<Node, Node | null>[], problems)
  for (const pair of root.items as Pair<Node, Node | null>[]) {
    const key = keyOf(pair)
    if (key === 'version') {
      if (!isScalar(pair.value) || pair.value.value !== FILE_VERSION) problems.add(offsetOf(pair.value ?? pair.key), `version must be ${FILE_VERSION}`)
    } else if (key === 'zones') {
      zonesNode = pair.value
    } else if (key !== 'autoscale') {
      problems.add(offsetOf(pair.key), `unknown key "${key}": the top level has version, zones and autoscale`)
    }
  }

  if (zonesNode === undefined) {
    problems.add(root.range?.[0] ?? 0, 'missing `zones:` (a mapping of zone name to settings)')
    return []
  }

  if (zonesNode === null || (isScalar(zonesNode) && zonesNode.value === null)) return []
  if (!isMap(zonesNode)) {
    problems.add(offsetOf(zonesNode), '`zones` must be a mapping of zone name to settings, e.g. `zones: {east: {search_alternate_zones: false}}`')
    return []
  }

  const zones: DesiredZone[] = []
  checkUniqueKeys(zonesNode.items as Pair<Node, Node | null>[], problems)
  for (const pair of zonesNode.items as Pair<Node, Node | null>[]) {
    const rawName = isScalar(pair.key) ? pair.key.value : undefined
    const name = problems.attempt(offsetOf(pair.key), () => parseZoneName(rawName, 'zone name'))
    const zone = readZone(name ?? String(rawName), pair.value, problems)
    if (name !== undefined && zone) zones.push(zone)
  }

  return zones
}

function readZone(name: string, node: Node | null, problems: Problems): DesiredZone | undefined {
  const zone: DesiredZone = {enclave: false, name, settings: {}}
  if (node === null || (isScalar(node) && node.value === null)) return zone
  if (!isMap(node)) {
    problems.add(offsetOf(node), `zone ${name}: expected a mapping of settings (or nothing)`)
    return undefined
  }

  const settings: Record<string, unknown> = {}
  checkUniqueKeys((node as YAMLMap<Node, Node | null>).items, problems)
  for (const pair of (node as YAMLMap<Node, Node | null>).items) {
    const key = keyOf(pair)
    const value = isScalar(pair.value) ? pair.value.value : pair.value?.toJSON()
    const at = offsetOf(pair.value ?? pair.key)
    if (key === 'enclave') {
      const enclave = typeof value === 'boolean' ? value : typeof value === 'string' ? parseBooleanWord(value) : undefined
      if (enclave === undefined) problems.add(at, `${name}.enclave: ${JSON.stringify(value)} is not a boolean: use true or false`)
      else zone.enclave = enclave
      continue
    }

    const spec = settingSpec(key)
    if (!spec) {
      problems.add(offsetOf(pair.key), `${name}: unknown key "${key}"${suggestion(key)}`)
      continue
    }

    const parsed = problems.attempt(at, () => parseSetting(spec, value, `${name}.${key}`))
    if (parsed !== undefined) settings[spec.field] = parsed
  }

  zone.settings = settings as Partial<ZoneSettings>
  return zone
}

function readAutoscaleSection(node: Node | null, problems: Problems): DesiredAutoscale[] {
  if (node === null || (isScalar(node) && node.value === null)) return []
  if (!isMap(node)) {
    problems.add(offsetOf(node), '`autoscale` must be a mapping of autoscale config name to fields, e.g. `autoscale: {rdp-autoscale: {minimum_pool_standby_sessions: 4}}`')
    return []
  }

  const configs: DesiredAutoscale[] = []
  for (const pair of node.items as Pair<Node, Node | null>[]) {
    const name = keyOf(pair)
    const config = readAutoscaleConfig(name, pair.value, problems)
    if (config) configs.push(config)
  }

  return configs
}

function readAutoscaleConfig(name: string, node: Node | null, problems: Problems): DesiredAutoscale | undefined {
  const config: DesiredAutoscale = {name, settings: {}}
  if (node === null || (isScalar(node) && node.value === null)) return config
  if (!isMap(node)) {
    problems.add(offsetOf(node), `autoscale ${name}: expected a mapping of fields (or nothing)`)
    return undefined
  }

  for (const pair of (node as YAMLMap<Node, Node | null>).items) {
    const key = keyOf(pair)
    const value = isScalar(pair.value) ? pair.value.value : pair.value?.toJSON()
    const at = offsetOf(pair.value ?? pair.key)
    if (key === 'zone' || key === 'pool') {
      if (typeof value === 'string' && value.trim() !== '') config[key] = value
      else problems.add(at, `autoscale.${name}.${key}: ${JSON.stringify(value)} is not a name: give the ${key} the config is in`)
      continue
    }

    const spec = autoscaleFieldSpec(key)
    if (!spec) {
      problems.add(offsetOf(pair.key), `autoscale ${name}: unknown key "${key}": valid keys are zone, pool and ${AUTOSCALE_FIELDS.map((f) => f.field).join(', ')}`)
      continue
    }

    // null is Kasm's "not set" for the fields that default to it (max users per server): export writes it so.
    const parsed = value === null && spec.default === null ? null : problems.attempt(at, () => parseAutoscaleValue(spec, value, `autoscale.${name}.${key}`))
    if (parsed !== undefined) config.settings[spec.field] = parsed
  }

  return config
}

/** A key given as a flag name (search-alternate) or with another case: point at the field name. */
function suggestion(key: string): string {
  const folded = key.toLowerCase().replaceAll('-', '_')
  const match = ZONE_SETTINGS.find((spec) => spec.flag === key.toLowerCase() || spec.field === folded || spec.field.startsWith(folded))
  const valid = `valid keys are enclave and ${ZONE_SETTINGS.map((spec) => spec.field).join(', ')}`
  return match ? ` (did you mean ${match.field}?)` : `: ${valid}`
}

/** A key given twice in one mapping: YAML forbids it, and the second would silently win. */
function checkUniqueKeys(pairs: readonly Pair<Node, Node | null>[], problems: Problems): void {
  const seen = new Set<string>()
  for (const pair of pairs) {
    const key = keyOf(pair)
    if (seen.has(key)) problems.add(offsetOf(pair.key), `not valid YAML: Map keys must be unique: "${key}" is given twice`)
    seen.add(key)
  }
}

function keyOf(pair: Pair<unknown, unknown>): string {
  return isScalar(pair.key) ? String(pair.key.value) : String(pair.key)
}

function offsetOf(node: unknown): number {
  return (node as Node | undefined)?.range?.[0] ?? 0
}

/** Collects problems with their positions, so the operator fixes the whole file in one go. */
class Problems {
  private readonly found: Array<{col: number; line: number; message: string}> = []
  constructor(
    private readonly source: string,
    private readonly lines: LineCounter,
  ) {}

  add(offset: number, message: string): void {
    const {col, line} = this.lines.linePos(offset)
    this.found.push({col, line, message})
  }

  /** Runs a validator; a UsageError becomes a problem at `offset`. */
  attempt<T>(offset: number, validate: () => T): T | undefined {
    try {
      return validate()
    } catch (error) {
      if (!(error instanceof UsageError)) throw error
      this.add(offset, error.message)
      return undefined
    }
  }

  throwIfAny(): void {
    if (this.found.length === 0) return
    const messages = this.found
      .sort((a, b) => a.line - b.line || a.col - b.col)
      .map(({col, line, message}) => `${this.source}:${line}:${col}: ${message}`)
    const count = messages.length === 1 ? 'a problem' : `${messages.length} problems`
    throw new UsageError(`zones file ${this.source} has ${count}; nothing was sent:\n${messages.map((m) => `  ${m}`).join('\n')}`, {
      details: {problems: messages},
      hint: '`kasmctl zone export` writes a valid file to start from',
    })
  }
}

/**
 * The export document: names not ids, settings only (no counts), enclave marks from the context, and
 * the autoscale configs (with the zone and pool they are in) when Kasm showed them.
 */
export function exportDocument(zones: readonly Zone[], enclaves: readonly string[] = [], autoscale: readonly AutoscaleConfigView[] = []): ZonesDocument {
  const entries = [...zones]
    .sort((a, b) => compareNames(a.zone_name, b.zone_name))
    .map((zone) => [zone.zone_name, {...(enclaves.includes(zone.zone_name) ? {enclave: true as const} : {}), ...settingsOf(zone)}])
  const document: ZonesDocument = {version: FILE_VERSION, zones: Object.fromEntries(entries)}
  if (autoscale.length > 0) {
    document.autoscale = Object.fromEntries(autoscale.map((c) => [c.autoscale_config_name, {pool: c.server_pool_name, zone: c.zone_name, ...c.settings}]))
  }

  return document
}

/** The export document as YAML with a comment header saying where it came from. */
export function exportYaml(document: ZonesDocument, header: string): string {
  const doc = new Document(document)
  doc.commentBefore = ` ${header.split('\n').join('\n ')}`
  return doc.toString({lineWidth: 0}).trimEnd()
}

function tooLarge(source: string): UsageError {
  return new UsageError(`zones file ${source} is larger than ${MAX_ZONES_FILE_BYTES / 1024 / 1024} MiB: that is not a zones file kasmctl can take`, {
    hint: 'split the zones into several files, or check that -f names the zones file',
  })
}

/** Reads a stream whole, failing with `tooLarge()` as soon as it passes MAX_ZONES_FILE_BYTES. */
async function readStream(stream: NodeJS.ReadableStream, tooLarge: () => Error): Promise<string> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of stream) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk)
    size += buffer.length
    if (size > MAX_ZONES_FILE_BYTES) throw tooLarge()
    chunks.push(buffer)
  }

  return Buffer.concat(chunks).toString('utf8')
}
