import type {HostEntry, HostRole} from '../config/types.js'
import type {HealthcheckResult} from '../kasm/types.js'
import {isRemoteHost, resolveHostPath, runOnHost} from '../remote/index.js'
import {compareNames} from '../text.js'
import {kasmRootOf, keyName, webappUrlOf} from './layout.js'
import {readZoneFiles} from './zone-files.js'

/** `kasmctl host status` for one host (docs/json.md). */
export interface HostStatus {
  name: string
  access: 'local' | 'ssh'
  ssh: null | string
  roles: HostRole[]
  kasm_root: string
  reachable: boolean
  /** Why the host could not be read (unreachable, permission). */
  error: null | string
  /** The release `current` points at (readlink -f <root>/current), e.g. "1.16.1"; null when not installed. */
  kasm_version: null | string
  /** The zone its config names (server.zone_name on a web app, kasmguac.zone on a connection proxy). */
  zone_name: null | string
  zone_files: Array<{path: string; key: string; exists: boolean; value: null | string}>
  services: {
    /** Kasm is serving: every kasm_* container running, and the web app healthy; null when neither can be asked. */
    up: boolean | null
    /** The web app's /api/__healthcheck; null when the host is not a web app or has no URL. */
    webapp: null | {url: string; ok: boolean; status: null | number; latency_ms: number; error: null | string}
    /** Kasm containers from `docker ps` (kasm_*); null when docker cannot be asked. */
    containers: null | Array<{name: string; state: string}>
  }
}

export type Healthcheck = (url: string) => Promise<HealthcheckResult>

/** Reads every host at once; a host that fails is reported, never thrown. */
export async function hostStatuses(hosts: HostEntry[], options: {kasmRoot?: string; healthcheck?: Healthcheck}): Promise<HostStatus[]> {
  return Promise.all(hosts.map((host) => hostStatus(host, options)))
}

export async function hostStatus(host: HostEntry, options: {kasmRoot?: string; healthcheck?: Healthcheck}): Promise<HostStatus> {
  const root = kasmRootOf(host, options.kasmRoot)
  const status: HostStatus = {
    access: isRemoteHost(host) ? 'ssh' : 'local',
    error: null,
    kasm_root: root,
    kasm_version: null,
    name: host.name,
    reachable: false,
    roles: host.roles,
    services: {containers: null, up: null, webapp: null},
    ssh: host.ssh ?? null,
    zone_files: [],
    zone_name: null,
  }
  const webapp = webappCheck(host, options.healthcheck)
  try {
    const current = await resolveHostPath(host, `${root}/current`)
    status.reachable = true
    status.kasm_version = current ? current.split('/').at(-1) ?? null : null
    const files = await readZoneFiles(host, root)
    status.zone_files = files.map((file) => ({exists: file.content !== undefined, key: keyName(file.key), path: file.path, value: file.value ?? null}))
    status.zone_name = files.find((file) => file.value !== undefined)?.value ?? null
    status.services.containers = await kasmContainers(host)
  } catch (error) {
    status.error = (error as Error).message
  }

  status.services.webapp = await webapp
  status.services.up = servicesUp(status.services)
  return status
}

function servicesUp({containers, webapp}: HostStatus['services']): boolean | null {
  const checks = [
    ...(containers && containers.length > 0 ? [containers.every((container) => container.state === 'running')] : []),
    ...(webapp ? [webapp.ok] : []),
  ]
  return checks.length === 0 ? null : checks.every(Boolean)
}

async function webappCheck(host: HostEntry, healthcheck?: Healthcheck): Promise<HostStatus['services']['webapp']> {
  const url = webappUrlOf(host)
  if (!host.roles.includes('webapp') || !url || !healthcheck) return null
  const result = await healthcheck(url)
  return {error: result.error ?? null, latency_ms: result.latencyMs, ok: result.ok, status: result.status ?? null, url}
}

/** `docker ps` on the host, Kasm's containers only; null when docker is missing or refuses. */
async function kasmContainers(host: HostEntry): Promise<HostStatus['services']['containers']> {
  const result = await runOnHost(host, ['docker', 'ps', '--all', '--filter', 'name=^kasm_', '--format', '{{.Names}}\t{{.State}}'], {sudo: true, timeoutMs: 30_000})
  if (result.exitCode !== 0) return null
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      const [name, state] = line.split('\t')
      return {name, state: state ?? 'unknown'}
    })
    .sort((a, b) => compareNames(a.name, b.name))
}
