/**
 * Which forward proxy a URL goes through, from the environment as curl reads it: `https_proxy` /
 * `HTTPS_PROXY` for https URLs, `http_proxy` / `HTTP_PROXY` for http URLs (lower case first), unless
 * `no_proxy` / `NO_PROXY` names the host. Pure string work: the tunnel code is loaded only when a
 * proxy applies (proxy-tunnel.ts).
 */
import {ConfigError} from '../errors.js'

export interface ProxyChoice {
  /** The proxy, or undefined for a direct connection. */
  proxy?: URL
  /** For --verbose: which variable decided, e.g. "HTTPS_PROXY" or "NO_PROXY entry .internal". */
  reason: string
}

export function proxyFor(target: URL, env: NodeJS.ProcessEnv = process.env): ProxyChoice {
  const names = target.protocol === 'https:' ? ['https_proxy', 'HTTPS_PROXY'] : ['http_proxy', 'HTTP_PROXY']
  const name = names.find((n) => env[n]?.trim())
  if (!name) return {reason: `no ${names[1]} set`}
  const bypass = noProxyMatch(target, env.no_proxy ?? env.NO_PROXY ?? '')
  if (bypass !== undefined) return {reason: `NO_PROXY entry ${bypass}`}
  return {proxy: parseProxyUrl(env[name]!.trim(), name), reason: name}
}

/** The NO_PROXY entry matching the target's host (and port, when the entry has one), if any. */
export function noProxyMatch(target: URL, noProxy: string): string | undefined {
  const host = target.hostname.replace(/^\[|\]$/g, '').toLowerCase()
  const port = target.port || (target.protocol === 'https:' ? '443' : '80')
  for (const entry of noProxy.split(/[\s,]+/).filter(Boolean)) {
    if (entry === '*') return entry
    // host, host:port, [v6]:port, or a bare IPv6 address (several colons, no port).
    const [, name, entryPort] = /^\[(.+)\](?::(\d+))?$/.exec(entry) ?? (entry.split(':').length > 2 ? [entry, entry] : /^(.*?)(?::(\d+))?$/.exec(entry)!)
    if (entryPort && entryPort !== port) continue
    const domain = name.toLowerCase().replace(/^\*?\./, '')
    if (host === domain || host.endsWith(`.${domain}`)) return entry
  }

  return undefined
}

function parseProxyUrl(value: string, variable: string): URL {
  let url: URL
  try {
    url = new URL(value.includes('://') ? value : `http://${value}`)
  } catch {
    throw new ConfigError(`${variable} is not a URL: ${value}`, {hint: `set it to http://HOST:PORT, or unset it`})
  }

  if (url.protocol !== 'http:') {
    throw new ConfigError(`${variable}: only http:// proxies are supported, not ${url.protocol}//`, {
      hint: 'point it at the proxy as http://HOST:PORT (HTTPS to Kasm still goes end to end through a CONNECT tunnel)',
    })
  }

  return url
}

/** A proxy URL fit for logs: the password is never shown. */
export function describeProxy(proxy: URL): string {
  return `${proxy.protocol}//${proxy.username ? `${proxy.username}${proxy.password ? ':***' : ''}@` : ''}${proxy.host}`
}
