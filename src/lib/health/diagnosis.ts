import type {ProxyFindings} from './checks/proxies.js'
import {isHealthy, type WebappProbe} from './run-context.js'
import type {HealthCheck} from './types.js'

export interface DiagnosisInput {
  checks: HealthCheck[]
  /** Direct web app probes, when the run made them. */
  webapps?: WebappProbe[]
  proxies?: ProxyFindings[]
}

/**
 * The reverse-proxy guide's troubleshooting sequence, applied to the results: web apps directly
 * first, then from each proxy host, then through each proxy, then WebSockets and idle timeouts.
 * Each line names what is wrong and where to look.
 */
export function diagnose({checks, proxies = [], webapps = []}: DiagnosisInput): string[] {
  const lines: string[] = []
  const dbDown = checks.find((c) => c.role === 'db' && c.check === 'connect' && c.status === 'CRITICAL')
  if (dbDown) {
    lines.push(`The database is unreachable (${dbDown.message}): the whole platform depends on it — the web apps' healthchecks fail and no session can start. Bring it back first.`)
  }

  const healthy = webapps.filter((w) => w.healthy)
  const failing = webapps.filter((w) => !w.healthy)
  const why = (w: WebappProbe) => `${w.name}: ${w.probe.error ?? `HTTP ${w.probe.status}`}`
  if (failing.length > 0 && healthy.length === 0) {
    lines.push(
      `No web app passes its healthcheck directly (${failing.map(why).join('; ')}): fix the web apps before the proxies — start the Kasm services (/opt/kasm/bin/start) and check that they reach the database.`,
    )
  } else if (failing.length > 0) {
    lines.push(`${failing.map(why).join('; ')} — failing directly: start it or take it out of the load balancer; the other web apps still serve users.`)
  }

  for (const proxy of proxies) lines.push(...diagnoseProxy(proxy, {failing: failing.map((w) => w.name), healthy: new Set(healthy.map((w) => w.name))}))

  const silentAgents = checks.filter((c) => c.role === 'agent' && c.check === 'checkin' && c.status === 'CRITICAL').map((c) => c.target)
  if (silentAgents.length > 0) {
    lines.push(`Agent(s) ${silentAgents.join(', ')} stopped checking in: Kasm routes new sessions to other agents; sessions on them may be interrupted. Check the agent service on those hosts.`)
  }

  return lines
}

function diagnoseProxy(found: ProxyFindings, webapps: {failing: string[]; healthy: Set<string>}): string[] {
  const lines: string[] = []
  const name = found.entry.label
  const url = found.entry.url ?? name
  for (const {reason, webapp} of found.unreachableFromProxy) {
    if (webapps.healthy.has(webapp)) {
      lines.push(`${webapp} answers directly but not from proxy ${name} (${reason}): a network or firewall problem between the proxy and the web app.`)
    }
  }

  const through = found.through
  if (through && !isHealthy(through) && webapps.healthy.size > 0) {
    const failure = through.error ?? `HTTP ${through.status}`
    if (through.error && through.status === undefined) {
      lines.push(`${url} does not answer (${failure}) although the web apps are up: the proxy is down or not listening.`)
    } else if (webapps.failing.length > 0) {
      lines.push(`${url} answered ${failure}: it still routes requests to web apps that fail directly (${webapps.failing.join(', ')}); give the proxy health checks on its upstreams (/api/__healthcheck) or remove them.`)
    } else if (found.unreachableFromProxy.length === 0 || found.reachableFromProxy.length > 0) {
      const reach = found.reachableFromProxy.length > 0 ? ` and from ${name}` : ''
      lines.push(`The web apps answer directly${reach}, but not through ${url} (${failure}): the proxy's configuration is wrong (upstream addresses, server_name, TLS); consult its documentation.`)
    }
  }

  if (found.websocket === 'stripped') {
    lines.push(
      `${url} does not pass WebSocket upgrades: users can load the UI but sessions will not connect. nginx needs proxy_http_version 1.1, proxy_set_header Upgrade $http_upgrade and proxy_set_header Connection "upgrade".`,
    )
  }

  if (found.shortIdleSeconds !== undefined) {
    lines.push(
      `${name} closes idle proxied connections after ${found.shortIdleSeconds}s: idle RDP sessions will disconnect. Set proxy_read_timeout and proxy_send_timeout to 3600s (as Kasm's own nginx does) on every proxy in the path, or enable RDP keep-alives.`,
    )
  }

  return lines
}
