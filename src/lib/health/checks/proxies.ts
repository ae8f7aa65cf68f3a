import {join} from 'node:path'

import type {ContextConfig, HostEntry} from '../../config/types.js'
import {runOnHost} from '../../remote/index.js'
import {parseProxyTimeouts} from '../nginx.js'
import {formatMs, type HttpProbe, type UpgradeProbe} from '../probe.js'
import {type CheckOutcome, healthcheckUrl, isHealthy, type RunContext, trimUrl, type WebappProbe} from '../run-context.js'
import {above, below, grade} from '../status.js'
import type {HealthCheck} from '../types.js'
import {gradeCertificate, gradeHealthcheck} from './http.js'

/**
 * Where the health check asks for a WebSocket upgrade. The sandbox's web apps answer it with 101;
 * a real deployment's answer is compared with the same request sent to a web app directly, so a
 * proxy is only blamed when the web app itself upgrades and the proxy does not.
 */
export const WEBSOCKET_PATH = '/api/websocket'

/** A reverse proxy / load balancer: a URL from context.proxies, an inventory host with the proxy role, or both. */
export interface ProxyEntry {
  label: string
  url?: string
  host?: HostEntry
}

/** What the proxy checks found, for the diagnosis. */
export interface ProxyFindings {
  entry: ProxyEntry
  through?: HttpProbe
  websocket?: 'passes' | 'stripped' | 'untested'
  /** Web apps the proxy host could not reach with curl, with the reason. */
  unreachableFromProxy: Array<{webapp: string; reason: string}>
  reachableFromProxy: string[]
  /** The idle timeout when it is short enough to cut idle RDP sessions. */
  shortIdleSeconds?: number
}

/** Pairs context.proxies URLs with inventory proxy hosts (same url, else the one host at that address). */
export function proxyEntries(context: ContextConfig): ProxyEntry[] {
  const hosts = (context.hosts ?? []).filter((h) => h.roles.includes('proxy'))
  const matched = new Set<HostEntry>()
  const entries: ProxyEntry[] = (context.proxies ?? []).map((raw) => {
    const url = trimUrl(raw)
    const hostname = new URL(url).hostname
    const byUrl = hosts.find((h) => h.url && trimUrl(h.url) === url)
    const byAddress = hosts.filter((h) => h.address === hostname || h.name === hostname)
    const host = byUrl ?? (byAddress.length === 1 ? byAddress[0] : undefined)
    if (host) matched.add(host)
    return {host, label: host?.name ?? url, url}
  })
  for (const host of hosts) if (!matched.has(host)) entries.push({host, label: host.name, url: host.url ? trimUrl(host.url) : undefined})
  return entries
}

/**
 * The reverse-proxy guide as checks: the healthcheck through each proxy, its certificate, a
 * WebSocket upgrade through it; and on proxy hosts in the inventory, curl of each web app from the
 * proxy (the guide's own step) and the nginx idle timeouts that cut RDP sessions.
 */
export async function proxyChecks(run: RunContext): Promise<{checks: HealthCheck[]; findings: ProxyFindings[]}> {
  const findings: ProxyFindings[] = []
  const webapps = run.webappProbes()
  let directUpgrade: Promise<UpgradeProbe | undefined> | undefined
  const baseline = () => {
    directUpgrade ??= webapps.then((probes) => {
      const healthy = probes.find((p) => p.healthy)
      return healthy ? run.limited(() => run.prober.upgrade(healthy.url + WEBSOCKET_PATH)) : undefined
    })
    return directUpgrade
  }

  const checks = await Promise.all(
    proxyEntries(run.context).flatMap((entry) => {
      const found: ProxyFindings = {entry, reachableFromProxy: [], unreachableFromProxy: []}
      findings.push(found)
      const list: Array<Promise<HealthCheck | HealthCheck[]>> = []
      if (entry.url) list.push(throughProxy(run, entry.url, found, baseline))
      if (entry.host) {
        const host = entry.host
        list.push(
          webapps.then((probes) =>
            Promise.all(probes.map((webapp) => run.check('proxy', `${host.name} → ${webapp.name}`, 'from-proxy', () => curlFromProxy(run, host, webapp, found)))),
          ),
          run.check('proxy', host.name, 'idle-timeout', () => idleTimeout(run, host, found)),
        )
      }

      return list
    }),
  )
  return {checks: checks.flat(), findings}
}

async function throughProxy(
  run: RunContext,
  url: string,
  found: ProxyFindings,
  baseline: () => Promise<UpgradeProbe | undefined>,
): Promise<HealthCheck[]> {
  const [probe, upgrade] = await Promise.all([
    run.limited(() => run.prober.get(healthcheckUrl(url))),
    run.limited(() => run.prober.upgrade(url + WEBSOCKET_PATH)),
  ])
  found.through = probe
  const checks = [
    run.check('proxy', url, 'healthcheck', async () => gradeHealthcheck(run, probe), {limited: false}),
    run.check('proxy', url, 'websocket', async () => gradeWebsocket(upgrade, await baseline(), found), {limited: false}),
  ]
  if (probe.tls) checks.push(run.check('proxy', url, 'certificate', async () => gradeCertificate(run, probe.tls!), {limited: false}))
  return Promise.all(checks)
}

function gradeWebsocket(through: UpgradeProbe, direct: undefined | UpgradeProbe, found: ProxyFindings): CheckOutcome {
  const base = {durationMs: through.latencyMs, threshold: null, unit: null, value: through.status ?? null}
  if (through.upgraded) {
    found.websocket = 'passes'
    return {...base, message: 'WebSocket upgrade passes (101)', status: 'OK'}
  }

  if (through.error && through.status === undefined) {
    found.websocket = 'untested'
    return {...base, message: `WebSocket upgrade failed: ${through.error}`, status: 'CRITICAL'}
  }

  // A 5xx came from a failing upstream (or the proxy's own error page), not from a plain request: not stripping.
  if (through.status !== undefined && through.status >= 500) {
    found.websocket = 'untested'
    return {...base, message: `WebSocket upgrade through the proxy failed with HTTP ${through.status} (an upstream error)`, status: 'CRITICAL'}
  }

  if (!direct?.upgraded) {
    found.websocket = 'untested'
    const why = direct ? `the web apps do not upgrade ${WEBSOCKET_PATH} directly either` : 'no healthy web app to compare with'
    return {...base, message: `no WebSocket upgrade through the proxy (HTTP ${through.status}), but ${why}`, status: 'UNKNOWN'}
  }

  found.websocket = 'stripped'
  return {
    ...base,
    message: `WebSocket upgrade refused through the proxy (HTTP ${through.status}) but accepted directly: Upgrade/Connection headers are stripped`,
    status: 'CRITICAL',
  }
}

/** `curl` of one web app's healthcheck from the proxy host: tells network problems from proxy configuration. */
async function curlFromProxy(run: RunContext, host: HostEntry, webapp: WebappProbe, found: ProxyFindings): Promise<CheckOutcome> {
  const maxTime = String(Math.max(1, Math.round(run.timeoutMs / 1000)))
  // -k as in the guide's own curl: reachability is the question here; certificates are checked directly.
  const argv = ['curl', '-sS', '-k', '--max-time', maxTime, '-o', '-', '-w', '\n%{http_code} %{time_total}', healthcheckUrl(webapp.url)]
  const result = await runOnHost(host, argv, {timeoutMs: run.timeoutMs})
  const {critical, warning} = run.thresholds.latencyMs
  const threshold = above(warning, critical)
  if (result.exitCode === 127) {
    return {message: `curl is not installed on ${host.name}`, status: 'UNKNOWN', threshold: null, unit: null, value: null}
  }

  const lines = result.stdout.split('\n')
  const [code, totalSeconds] = (lines.pop() ?? '').split(' ')
  const latency = Math.round(Number(totalSeconds) * 1000)
  const body = lines.join('\n')
  const healthy = isHealthy({body, latencyMs: latency, status: Number(code)})
  if (healthy) {
    found.reachableFromProxy.push(webapp.name)
    return {message: `reachable from ${host.name}: ok in ${latency} ms`, status: grade(latency, threshold), threshold, unit: 'ms', value: latency}
  }

  if (result.exitCode === 0) {
    found.reachableFromProxy.push(webapp.name)
    // Reached, and the web app fails directly too: its own check reports that once.
    if (!webapp.healthy) return {message: `reachable from ${host.name}; the web app itself answers HTTP ${code} (see its own check)`, status: 'OK', threshold, unit: 'ms', value: latency}
    return {message: `curl from ${host.name}: HTTP ${code}, though the web app is healthy directly`, status: 'CRITICAL', threshold, unit: 'ms', value: latency}
  }

  const reason = result.stderr.trim().split('\n').at(-1) || `curl exit ${result.exitCode}`
  found.unreachableFromProxy.push({reason, webapp: webapp.name})
  return {message: `curl from ${host.name}: ${reason}`, status: 'CRITICAL', threshold, unit: 'ms', value: null}
}

/**
 * The nginx proxy_read_timeout / proxy_send_timeout on a proxy host. Only RDP sessions suffer
 * from short ones (containers send keep-alives every 5 s), so short timeouts warn when the
 * deployment has RDP servers. The files are nginx.conf, conf.d/*.conf and sites-enabled/* of the
 * host's /etc/nginx.
 */
async function idleTimeout(run: RunContext, host: HostEntry, found: ProxyFindings): Promise<CheckOutcome> {
  const dir = join(hostRoot(host), 'etc/nginx')
  const script = 'cd -- "$1" 2>/dev/null || exit 3; for f in nginx.conf conf.d/*.conf sites-enabled/*; do [ -f "$f" ] && cat -- "$f"; done; exit 0'
  const [result, rdp] = await Promise.all([runOnHost(host, ['sh', '-c', script, 'sh', dir], {sudo: true, timeoutMs: run.timeoutMs}), rdpServers(run)])
  if (result.exitCode !== 0 || result.stdout.trim() === '') {
    return {message: `no nginx configuration under ${dir}`, status: 'UNKNOWN', threshold: null, unit: null, value: null}
  }

  const timeouts = parseProxyTimeouts(result.stdout)
  const seconds = Math.min(timeouts.readSeconds, timeouts.sendSeconds)
  const limit = run.thresholds.proxyIdleSeconds
  const described = `proxy_read_timeout ${timeouts.readSeconds}s${timeouts.readSet ? '' : ' (default)'}, proxy_send_timeout ${timeouts.sendSeconds}s${timeouts.sendSet ? '' : ' (default)'}`
  const base = {threshold: below(limit, null), unit: 's' as const, value: seconds}
  if (seconds >= limit) return {...base, message: described, status: 'OK'}
  if (rdp === 0) return {...base, message: `${described}; fine without RDP servers (container sessions send keep-alives)`, status: 'OK'}
  found.shortIdleSeconds = seconds
  const who = rdp === undefined ? 'RDP sessions (if any)' : `${rdp} RDP server(s)`
  return {...base, message: `${described} < ${formatMs(limit * 1000)}: idle ${who} will disconnect`, status: rdp === undefined ? 'UNKNOWN' : 'WARNING'}
}

/**
 * The host's filesystem root as its kasmRoot implies it: /opt/kasm (the default) → /. A host
 * installed under a prefix (the sandbox's hosts/<name>/opt/kasm) has its /etc under that prefix too.
 */
function hostRoot(host: HostEntry): string {
  const kasmRoot = (host.kasmRoot ?? '/opt/kasm').replace(/\/+$/, '')
  return kasmRoot.endsWith('/opt/kasm') ? kasmRoot.slice(0, -'/opt/kasm'.length) || '/' : '/'
}

/** Number of RDP servers in the deployment, or undefined when the API cannot say. */
async function rdpServers(run: RunContext): Promise<number | undefined> {
  try {
    const {servers} = await run.deployment()
    return servers.filter((s) => s.server_type === 'Desktop' && String(s.connection_type).toUpperCase() === 'RDP').length
  } catch {
    return undefined
  }
}
