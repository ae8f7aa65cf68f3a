import {formatMs, type HttpProbe, type TlsInfo} from '../probe.js'
import type {CheckOutcome, RunContext} from '../run-context.js'
import {isHealthy} from '../run-context.js'
import {above, below, grade} from '../status.js'

/**
 * Grades a /api/__healthcheck answer: anything but HTTP 200 {"ok": true} is CRITICAL (the
 * endpoint queries the database, so a 500 usually means the web app cannot reach it); a healthy
 * answer is graded on latency.
 */
export function gradeHealthcheck(run: RunContext, probe: HttpProbe): CheckOutcome {
  const {critical, warning} = run.thresholds.latencyMs
  const threshold = above(warning, critical)
  const base = {durationMs: probe.latencyMs, threshold, unit: 'ms' as const, value: probe.latencyMs}
  if (probe.error) return {...base, message: probe.error, status: 'CRITICAL', value: null}
  if (probe.status !== 200) {
    return {...base, message: `HTTP ${probe.status}${snippet(probe.body)}${failureHint(probe.status)}`, status: 'CRITICAL'}
  }

  if (!isHealthy(probe)) return {...base, message: `HTTP 200 but not {"ok": true}${snippet(probe.body)}`, status: 'CRITICAL'}
  const status = grade(probe.latencyMs, threshold)
  const message = status === 'OK' ? `ok in ${probe.latencyMs} ms` : `ok but slow: ${probe.latencyMs} ms (warning > ${formatMs(warning)}, critical > ${formatMs(critical)})`
  return {...base, message, status}
}

/**
 * What an error status most likely means: 502 and 504 come from a reverse proxy that got no answer
 * from the web app behind it; another 5xx from the web app itself, whose healthcheck queries the database.
 */
function failureHint(status: number | undefined): string {
  if (status === 502) return ' (the proxy could not reach a web app behind it: are the Kasm services running?)'
  if (status === 504) return ' (the proxy timed out waiting for a web app behind it)'
  return status && status >= 500 ? ' (the healthcheck queries the database: is it up?)' : ''
}

const TLS_REASONS: Record<string, string> = {
  CERT_HAS_EXPIRED: 'the certificate has expired',
  DEPTH_ZERO_SELF_SIGNED_CERT: 'self-signed certificate (not trusted)',
  ERR_TLS_CERT_ALTNAME_INVALID: 'the certificate does not match the host name',
  SELF_SIGNED_CERT_IN_CHAIN: 'signed by an untrusted CA (self-signed chain)',
  UNABLE_TO_GET_ISSUER_CERT_LOCALLY: 'signed by an unknown CA',
  UNABLE_TO_VERIFY_LEAF_SIGNATURE: 'signed by an unknown CA',
}

/** Certificate: trusted chain and matching host name (else CRITICAL), then days to expiry. */
export function gradeCertificate(run: RunContext, tls: TlsInfo): CheckOutcome {
  const {critical, warning} = run.thresholds.certDays
  const threshold = below(warning, critical)
  const days = tls.daysToExpiry ?? null
  const base = {threshold, unit: 'd' as const, value: days}
  const expiry = tls.validTo ? `expires ${tls.validTo.toISOString().slice(0, 10)}` : 'no expiry date'
  if (!tls.trusted) {
    const reason = (tls.error && TLS_REASONS[tls.error]) ?? `not trusted: ${tls.error}`
    return {...base, message: `${reason}${tls.subject ? ` (CN ${tls.subject})` : ''}; ${expiry}`, status: 'CRITICAL'}
  }

  if (days === null) return {...base, message: 'trusted, but the certificate has no expiry date', status: 'UNKNOWN'}
  return {...base, message: `valid, ${expiry} (${days} days)`, status: grade(days, threshold)}
}

/** The start of a non-JSON error body (Kasm's text pages), for the reason column. */
function snippet(body: string | undefined): string {
  const text = body?.replaceAll(/<[^>]*>/g, ' ').replaceAll(/\s+/g, ' ').trim()
  return text ? `: ${text.slice(0, 60)}` : ''
}
