import {expect} from 'chai'
import {Chalk} from 'chalk'

import {nagiosUnknown, renderNagios, renderReport} from '../../../src/lib/health/render.js'
import {resolveThresholds} from '../../../src/lib/health/run.js'
import {above, below, summarize, worstStatus} from '../../../src/lib/health/status.js'
import {DEFAULT_THRESHOLDS, type HealthCheck, type HealthReport} from '../../../src/lib/health/types.js'
import {UsageError} from '../../../src/lib/errors.js'

function report(checks: HealthCheck[], diagnosis: string[] = [], kasmVersion: HealthReport['kasmVersion'] = null): HealthReport {
  const status = worstStatus(checks.map((c) => c.status))
  return {checkedAt: '2026-01-01T00:00:00.000Z', checks, context: 'prod', diagnosis, durationMs: 312, exitCode: {CRITICAL: 2, OK: 0, UNKNOWN: 3, WARNING: 1}[status], kasmVersion, status, summary: summarize(checks)}
}

const latency = (target: string, value: number, status: HealthCheck['status'] = 'OK'): HealthCheck => ({
  check: 'healthcheck',
  durationMs: value,
  message: status === 'OK' ? `ok in ${value} ms` : 'HTTP 500 | boom',
  role: 'webapp',
  status,
  target,
  threshold: above(1000, 3000),
  unit: 'ms',
  value,
})

describe('health rendering', () => {
  it('grades the whole run CRITICAL > WARNING > UNKNOWN > OK', () => {
    expect(worstStatus(['OK', 'UNKNOWN', 'WARNING'])).to.equal('WARNING')
    expect(worstStatus(['UNKNOWN', 'CRITICAL'])).to.equal('CRITICAL')
    expect(worstStatus(['OK', 'UNKNOWN'])).to.equal('UNKNOWN')
    expect(worstStatus([])).to.equal('OK')
  })

  it('prints one Nagios line: status, counts, the worst problems, and perfdata per role and check', () => {
    const certificate: HealthCheck = {
      check: 'certificate', durationMs: 0, message: 'valid', role: 'proxy', status: 'WARNING', target: 'https://lb', threshold: below(21, 7), unit: 'd', value: 12,
    }
    const line = renderNagios(report([latency('web-1', 12), latency('web-2', 40, 'CRITICAL'), certificate]))
    expect(line).to.equal(
      'KASM CRITICAL - 1 critical, 1 warning: web-2 healthcheck: HTTP 500 / boom; https://lb certificate: valid' +
        ' | checks=3 critical=1 warning=1 unknown=0 webapp_latency_ms=40ms;1000;3000;0; proxy_certificate_days=12;21:;7:;0;',
    )
    expect(line.split('\n')).to.have.length(1)
  })

  it('says OK with the number of checks, and UNKNOWN for a failure of the tool itself', () => {
    expect(renderNagios(report([latency('web-1', 12)]))).to.equal('KASM OK - 1 check OK | checks=1 critical=0 warning=0 unknown=0 webapp_latency_ms=12ms;1000;3000;0;')
    expect(nagiosUnknown('no context selected | really\nsecond line')).to.equal('KASM UNKNOWN - no context selected / really second line')
  })

  it('renders a table grouped by role, a summary line and the diagnosis, without colour codes when colour is off', () => {
    const text = renderReport(report([latency('web-1', 12), latency('web-2', 40, 'CRITICAL')], ['web-2 fails directly.']), new Chalk({level: 0}))
    expect(text).to.match(/^ROLE\s+TARGET\s+CHECK\s+VALUE\s+REASON\n/)
    expect(text).to.match(/\nwebapp\s+✓\s+web-1\s+healthcheck\s+12 ms\s+ok in 12 ms\n\s+✗\s+web-2/)
    expect(text).to.include('\n\nCRITICAL: 1 critical (2 checks in 312ms, context prod)\n\nDiagnosis:\n  - web-2 fails directly.')
    expect(text).not.to.include('\u001B[')
  })

  it('names the Kasm version above the summary, with its warning when the release is unknown', () => {
    const known = {alembicRevision: 'bfc22f00ad19', evidence: 'alembic revision bfc22f00ad19', source: 'database', version: '1.19', warning: null} as const
    const text = renderReport(report([latency('web-1', 12)], [], known), new Chalk({level: 0}))
    expect(text).to.include('\n\nKasm version: 1.19 (database: alembic revision bfc22f00ad19)\nOK: ')
    const unknown = {alembicRevision: null, evidence: 'get_zones has 3 of the 7 RDP fields', source: 'api', version: null, warning: 'Kasm version unknown: get_zones has 3 of the 7 RDP fields.'} as const
    expect(renderReport(report([latency('web-1', 12)], [], unknown), new Chalk({level: 0}))).to.include(
      'Kasm version: unknown (api: get_zones has 3 of the 7 RDP fields)\nWarning: Kasm version unknown: get_zones has 3 of the 7 RDP fields.\nOK: ',
    )
  })

  it('overlays the thresholds given and refuses a warning level beyond its critical level', () => {
    expect(resolveThresholds({checkinSeconds: {warning: 30}}).checkinSeconds).to.deep.equal({critical: 300, warning: 30})
    expect(resolveThresholds({latencyMs: {critical: undefined, warning: undefined}}).latencyMs).to.deep.equal(DEFAULT_THRESHOLDS.latencyMs)
    expect(() => resolveThresholds({latencyMs: {critical: 500, warning: 2000}})).to.throw(UsageError, '--warn-latency (2000 ms) must not be above --crit-latency (500 ms)')
    expect(() => resolveThresholds({certDays: {critical: 30, warning: 10}})).to.throw(UsageError, '--warn-cert-expiry (10 days) must not be below --crit-cert-expiry (30 days)')
  })
})
