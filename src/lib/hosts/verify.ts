import {setTimeout as sleep} from 'node:timers/promises'
import type {HostEntry} from '../config/types.js'
import {OperationError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import {normalizeId} from '../kasm/ids.js'
import type {Manager} from '../kasm/types.js'
import {describeHost} from '../remote/index.js'
import {webappUrlOf} from './layout.js'

export interface VerifyOptions {
  timeoutMs: number
  pollMs?: number
  /** Called with what is still awaited, so progress can show it. */
  onWait?: (what: string) => void
}

/** What `verify` found: the manager Kasm lists for the web app, in the expected zone. */
export interface Verified {
  manager_id: null | string
  healthcheck_ms: null | number
}

/**
 * Waits until the web app answers its /api/__healthcheck with ok, and Kasm lists the web app's
 * manager (by manager_id, else by hostname) in the expected zone. A timeout is an OperationError
 * saying which of the two never came.
 */
export async function verifyWebapp(
  client: KasmClient,
  host: HostEntry,
  manager: {id: null | string; hostnames: string[]},
  zone: string,
  options: VerifyOptions,
): Promise<Verified> {
  const url = webappUrlOf(host)
  const deadline = Date.now() + options.timeoutMs
  const pollMs = options.pollMs ?? 1000
  let healthMs: null | number = null
  let waitingFor = 'the healthcheck'
  let lastSeen = ''
  for (;;) {
    const health = url ? await client.healthcheck(url) : undefined
    if (health === undefined || health.ok) {
      healthMs = health?.latencyMs ?? null
      waitingFor = `its manager in zone "${zone}"`
      const found = await managerZone(client, manager).catch((error: Error) => ({error: error.message}))
      if ('zone' in found && found.manager && found.zone === zone) return {healthcheck_ms: healthMs, manager_id: found.manager.manager_id}
      lastSeen = 'zone' in found ? (found.manager ? `Kasm lists manager ${found.manager.manager_hostname} in zone "${found.zone}"` : 'Kasm lists no manager for it') : found.error
    } else {
      lastSeen = `${url}/api/__healthcheck: ${health.error ?? `HTTP ${health.status}`}`
    }

    if (Date.now() >= deadline) {
      throw new OperationError(`web app ${describeHost(host)} was not verified within ${Math.round(options.timeoutMs / 1000)}s: waited for ${waitingFor} (${lastSeen})`, {
        code: 'VERIFY_FAILED',
      })
    }

    options.onWait?.(waitingFor)
    await sleep(Math.min(pollMs, Math.max(0, deadline - Date.now())))
  }
}

async function managerZone(client: KasmClient, manager: {id: null | string; hostnames: string[]}): Promise<{manager?: Manager; zone: null | string}> {
  const managers = await client.getManagers()
  const id = manager.id ? normalizeId(manager.id) : undefined
  const found = managers.find((m) => id !== undefined && m.manager_id === id) ?? managers.find((m) => manager.hostnames.includes(m.manager_hostname))
  if (!found) return {zone: null}
  if (found.zone_name) return {manager: found, zone: found.zone_name}
  const zones = await client.getZones()
  return {manager: found, zone: zones.find((zone) => zone.zone_id === found.zone_id)?.zone_name ?? null}
}
