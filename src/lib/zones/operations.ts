/**
 * Zone writes: create, set, rename, delete. Each validates everything before sending anything,
 * supports a dry run, and returns the document its command prints (docs/json.md).
 */
import type {ContextConfig} from '../config/types.js'
import {KasmApiError, OperationError, UsageError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import {shortId} from '../kasm/ids.js'
import {shellQuote} from '../remote/shell.js'
import type {Zone, ZoneSettings} from '../kasm/types.js'
import {type FieldChange, patchOf, settingChanges} from './changes.js'
import {assertSupported, settingsOf, supportedFields, withDefaults} from './settings.js'
import {zoneLabel} from './view.js'

export interface CreateResult {
  created: boolean
  dry_run: boolean
  /** zone_id is null on a dry run. */
  zone: Partial<ZoneSettings> & {zone_id: null | string; zone_name: string}
}

/** Refuses a name another zone has: Kasm would refuse too, but only after we sent the request. */
export function assertNameFree(zones: readonly Zone[], name: string): void {
  const taken = zones.find((zone) => zone.zone_name === name)
  if (taken) {
    throw new UsageError(`the zone name "${name}" is already taken by zone ${zoneLabel(taken)}`, {
      hint: `choose another name, or change that zone with \`kasmctl zone set ${name} ...\``,
    })
  }
}

/**
 * Creates a zone with Kasm's defaults for every setting not given (1.15 create_zone needs them all),
 * among the settings this server has: one it lacks is refused when given, left out otherwise.
 */
export async function createZone(client: KasmClient, name: string, settings: Partial<ZoneSettings>, options: {dryRun: boolean}): Promise<CreateResult> {
  const zones = await client.getZones({brief: true})
  assertNameFree(zones, name)
  await assertSupported(settings, zones)
  const full = withDefaults(settings, supportedFields(zones))
  if (options.dryRun) return {created: false, dry_run: true, zone: {zone_id: null, zone_name: name, ...full}}
  const created = await client.createZone({...full, zone_name: name})
  return {created: true, dry_run: false, zone: {zone_id: created.zone_id, zone_name: name, ...full, ...settingsOf(created)}}
}

export interface SetResult {
  zone_id: string
  zone_name: string
  changed: boolean
  dry_run: boolean
  changes: FieldChange[]
}

/** Sends only the fields that differ; a no-op sends nothing, a setting this server lacks is refused. */
export async function setZone(client: KasmClient, zone: Zone, settings: Partial<ZoneSettings>, options: {dryRun: boolean}): Promise<SetResult> {
  await assertSupported(settings, [zone])
  const changes = settingChanges(zone, settings)
  const result = {changed: false, changes, dry_run: options.dryRun, zone_id: zone.zone_id, zone_name: zone.zone_name}
  if (changes.length === 0 || options.dryRun) return result
  await client.updateZone(zone.zone_id, patchOf(changes))
  return {...result, changed: true}
}

/** A host edit still needed after a rename: web apps and connection proxies register by zone name. */
export interface HostEdit {
  role: 'connection-proxy' | 'webapp'
  /** Manager hostname or connection proxy address, as Kasm reports it. */
  address: string
  /** The context's host inventory entry for it, when one matches. */
  host: null | string
  command: string
}

export interface RenameResult {
  zone_id: string
  before: string
  after: string
  renamed: boolean
  dry_run: boolean
  host_edits: HostEdit[]
}

export async function renameZone(
  client: KasmClient,
  context: ContextConfig,
  input: {zone: Zone; zones: readonly Zone[]; newName: string; dryRun: boolean},
): Promise<RenameResult> {
  const {newName, zone} = input
  if (newName === zone.zone_name) throw new UsageError(`zone ${zoneLabel(zone)} is already called "${newName}"`)
  assertNameFree(input.zones, newName)
  const proxies = (await client.getConnectionProxies()).filter((proxy) => proxy.zone_id === zone.zone_id)
  const edits: HostEdit[] = [
    ...(zone.managers ?? []).map((manager) => hostEdit(context, 'webapp', manager.manager_hostname, newName)),
    ...proxies.map((proxy) => hostEdit(context, 'connection-proxy', proxy.server_address, newName)),
  ]
  const result = {after: newName, before: zone.zone_name, dry_run: input.dryRun, host_edits: edits, renamed: false, zone_id: zone.zone_id}
  if (input.dryRun) return result
  await client.updateZone(zone.zone_id, {zone_name: newName})
  return {...result, renamed: true}
}

function hostEdit(context: ContextConfig, role: HostEdit['role'], address: string, newName: string): HostEdit {
  const host = context.hosts?.find((entry) => entry.roles.includes(role) && (entry.name === address || entry.address === address))
  const target = host ? `--host ${host.name}` : `--host <${role} host ${address}>`
  return {address, command: `kasmctl host zone-name ${shellQuote(newName)} ${target}`, host: host?.name ?? null, role}
}

export interface DeleteResult {
  zone_id: string
  zone_name: string
  deleted: boolean
  dry_run: boolean
  /** What keeps Kasm from deleting the zone (it refuses while managers or servers use it). */
  in_use_by: InUse
}

export interface InUse {
  managers: Array<{manager_hostname: string; manager_id: string}>
  servers: Array<{hostname: string; server_id: string; server_type: string}>
}

export function inUseBy(zone: Zone): InUse {
  return {
    managers: (zone.managers ?? []).map(({manager_hostname, manager_id}) => ({manager_hostname, manager_id})),
    servers: (zone.servers ?? []).map(({hostname, server_id, server_type}) => ({hostname, server_id, server_type})),
  }
}

/**
 * Deletes a zone. When Kasm refuses because managers or servers use it, the error lists them
 * and says how to move them; nothing was changed in that case.
 */
export async function deleteZone(client: KasmClient, zone: Zone, options: {dryRun: boolean}): Promise<DeleteResult> {
  const usage = inUseBy(zone)
  const result = {deleted: false, dry_run: options.dryRun, in_use_by: usage, zone_id: zone.zone_id, zone_name: zone.zone_name}
  if (options.dryRun) return result
  try {
    await client.deleteZone(zone.zone_id)
  } catch (error) {
    if (error instanceof KasmApiError && /in use/i.test(error.kasmMessage)) throw inUseError(zone, error, usage)
    throw error
  }

  return {...result, deleted: true}
}

function inUseError(zone: Zone, error: KasmApiError, usage: InUse): OperationError {
  const users = [
    ...usage.managers.map((m) => `  manager ${m.manager_hostname} (${shortId(m.manager_id)})`),
    ...usage.servers.map((s) => `  ${s.server_type === 'host' ? 'agent' : 'server'} ${s.hostname} (${shortId(s.server_id)})`),
  ]
  return new OperationError(`Kasm refused to delete zone ${zoneLabel(zone)}: ${error.kasmMessage}${users.length > 0 ? `\nIt is used by:\n${users.join('\n')}` : ''}`, {
    cause: error,
    code: 'ZONE_IN_USE',
    details: {in_use_by: usage, kasm_message: error.kasmMessage},
    hint: 'move the web apps to another zone first (`kasmctl host zone-name OTHER --host HOST`; their agents follow their manager), then delete again. Nothing was changed.',
  })
}
