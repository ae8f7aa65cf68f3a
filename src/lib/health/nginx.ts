/**
 * Reads the idle timeouts that disconnect RDP sessions out of an nginx configuration
 * (reverse-proxies.txt: proxy_read_timeout / proxy_send_timeout, nginx default 60 s, Kasm's own 3600 s).
 */

/** nginx's default for both directives when a configuration does not set them. */
export const NGINX_DEFAULT_TIMEOUT_SECONDS = 60

export interface ProxyTimeouts {
  /** Shortest proxy_read_timeout in the files (the default when none is set). */
  readSeconds: number
  sendSeconds: number
  /** True when the directive appears; false means nginx's default applies. */
  readSet: boolean
  sendSet: boolean
}

const TIME_UNITS: Record<string, number> = {M: 2_592_000, d: 86_400, h: 3600, m: 60, ms: 0.001, s: 1, w: 604_800, y: 31_536_000}

/** nginx time syntax: "60", "60s", "1h", "1h 30m", "500ms". Returns seconds, or undefined when unparsable. */
export function parseNginxTime(text: string): number | undefined {
  const parts = [...text.trim().matchAll(/(\d+)(ms|[smhdwMy])?\s*/g)]
  if (parts.length === 0 || parts.map((p) => p[0]).join('').trim() !== text.trim()) return undefined
  return parts.reduce((total, [, amount, unit]) => total + Number(amount) * TIME_UNITS[unit ?? 's'], 0)
}

export function parseProxyTimeouts(config: string): ProxyTimeouts {
  const text = config.replaceAll(/#[^\n]*/g, '')
  const values = (directive: string) =>
    [...text.matchAll(new RegExp(`(?:^|[\\s;{}])${directive}\\s+([^;]+);`, 'g'))]
      .map((m) => parseNginxTime(m[1]))
      .filter((v): v is number => v !== undefined)
  const read = values('proxy_read_timeout')
  const send = values('proxy_send_timeout')
  return {
    readSeconds: read.length > 0 ? Math.min(...read) : NGINX_DEFAULT_TIMEOUT_SECONDS,
    readSet: read.length > 0,
    sendSeconds: send.length > 0 ? Math.min(...send) : NGINX_DEFAULT_TIMEOUT_SECONDS,
    sendSet: send.length > 0,
  }
}
