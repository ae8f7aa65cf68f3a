import type {HostEntry} from '../config/types.js'
import {NotFoundError, OperationError, UnavailableError, UsageError, listValues} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import type {Zone} from '../kasm/types.js'
import {describeHost, HostUnreachableError, isRemoteHost} from '../remote/index.js'
import {resolveZone} from '../zones/resolve.js'
import {parseZoneName} from '../zones/settings.js'
import {unifiedDiff} from './diff.js'
import {kasmRootOf, keyName} from './layout.js'
import {readYamlScalar, setYamlScalar, YamlEditError} from './yaml-edit.js'
import {checkHostWritable, readZoneFiles} from './zone-files.js'

/** One file edit of the plan. */
export interface PlannedFile {
  path: string
  key: string
  keyPath: string[]
  from: string
  to: string
  /** The text before and after, and their unified diff. */
  before: string
  after: string
  diff: string
}

export interface HostPlan {
  host: HostEntry
  kasmRoot: string
  /** Files whose value changes. */
  files: PlannedFile[]
  /** Files already naming the zone. */
  unchangedFiles: Array<{path: string; key: string}>
  /** Files the host's roles call for that do not exist there: skipped. */
  missingFiles: Array<{path: string; key: string}>
  manager: {id: null | string; hostnames: string[]}
}

export interface ZoneNamePlan {
  /** The zone's name as the config files will carry it. */
  zone: string
  /** null when the zone does not exist yet (--create-zone: Kasm registers it when the first web app starts). */
  zoneId: null | string
  hosts: HostPlan[]
}

export interface PlanRequest {
  hosts: HostEntry[]
  /** ZONE as given: a zone name or id. */
  zone: string
  createZone: boolean
  /** --kasm-root */
  kasmRoot?: string
}

/**
 * Reads every selected host and works out the edits, changing nothing. Fails before anything is
 * stopped anywhere when the zone is unknown (without --create-zone), when a host is unreachable
 * (all of them are named), when a file cannot be parsed or edited cleanly, or when kasmctl may not
 * write the files.
 */
export async function planZoneName(client: KasmClient, request: PlanRequest): Promise<ZoneNamePlan> {
  const {zone, zoneId} = await targetZone(client, request)
  const results = await Promise.allSettled(request.hosts.map((host) => planHost(host, zone, request.kasmRoot)))
  const unreachable = results.flatMap((result) => (result.status === 'rejected' && result.reason instanceof HostUnreachableError ? [result.reason] : []))
  if (unreachable.length > 0) {
    throw new UnavailableError(`${unreachable.length === 1 ? 'a host is' : `${unreachable.length} hosts are`} unreachable, so nothing was changed: ${unreachable.map((error) => error.message).join('; ')}`, {
      details: {unreachable: unreachable.map((error) => error.host)},
      hint: unreachable[0].hint,
    })
  }

  const failed = results.find((result) => result.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
  return {hosts: results.map((result) => (result as PromiseFulfilledResult<HostPlan>).value), zone, zoneId}
}

async function targetZone(client: KasmClient, request: PlanRequest): Promise<{zone: string; zoneId: null | string}> {
  const name = parseZoneName(request.zone, 'ZONE')
  const zones = await client.getZones()
  const exact = zones.find((zone) => zone.zone_name === name)
  if (exact) return {zone: exact.zone_name, zoneId: exact.zone_id}
  let byId: undefined | Zone
  try {
    byId = resolveZone(zones, name)
  } catch (error) {
    if (!(error instanceof NotFoundError)) throw error
  }

  if (byId) return {zone: byId.zone_name, zoneId: byId.zone_id}
  if (request.createZone) return {zone: name, zoneId: null}
  throw new UsageError(`zone "${name}" does not exist in Kasm; existing zones: ${listValues(zones.map((zone) => `"${zone.zone_name}"`))}`, {
    details: {zone: name, zones: zones.map((zone) => zone.zone_name)},
    hint: 'check the spelling (a web app that starts with an unknown zone_name makes Kasm register a new zone), or pass --create-zone to have Kasm create it',
  })
}

async function planHost(host: HostEntry, zone: string, kasmRootOverride?: string): Promise<HostPlan> {
  const kasmRoot = kasmRootOf(host, kasmRootOverride)
  const zoneFiles = await readZoneFiles(host, kasmRoot)
  const plan: HostPlan = {files: [], host, kasmRoot, manager: {hostnames: [host.name], id: null}, missingFiles: [], unchangedFiles: []}
  for (const file of zoneFiles) {
    const key = keyName(file.key)
    if (file.content === undefined) {
      plan.missingFiles.push({key, path: file.path})
      continue
    }

    if (file.value === undefined) throw new OperationError(`${file.path} on host ${describeHost(host)} has no ${key} to change`, {hint: 'is this the right file? Add the key by hand, then re-run'})
    if (file.key.role === 'webapp') plan.manager = managerNames(host, file.content)
    if (file.value === zone) {
      plan.unchangedFiles.push({key, path: file.path})
      continue
    }

    let after: string
    try {
      after = setYamlScalar(file.content, file.key.keyPath, zone)
    } catch (error) {
      if (error instanceof YamlEditError) throw new OperationError(`${file.path} on host ${describeHost(host)}: ${error.message}`)
      throw error
    }

    plan.files.push({after, before: file.content, diff: unifiedDiff(file.content, after, `${host.name}:${file.path}`), from: file.value, key, keyPath: [...file.key.keyPath], path: file.path, to: zone})
  }

  if (plan.files.length === 0 && plan.unchangedFiles.length === 0) {
    throw new OperationError(`host ${describeHost(host)} has none of its zone files under ${kasmRoot}/current/conf/app (${listValues(plan.missingFiles.map((file) => file.path.split('/').at(-1)!))})`, {
      hint: isRemoteHost(host) ? 'give the install root with --kasm-root DIR, or set kasmRoot for this host in the context' : 'give the install root with --kasm-root DIR',
    })
  }

  if (plan.files.length > 0) await checkHostWritable(host, kasmRoot)
  return plan
}

/** How Kasm may name the web app's manager: the config's manager.manager_id and server hostname, and the inventory name. */
function managerNames(host: HostEntry, content: string): HostPlan['manager'] {
  const id = readYamlScalar(content, ['manager', 'manager_id']) ?? null
  const serverHostname = readYamlScalar(content, ['server', 'server_hostname'])
  const hostnames = [...new Set([host.name, ...(serverHostname ? [serverHostname] : []), ...(host.address ? [host.address] : [])])]
  return {hostnames, id}
}
