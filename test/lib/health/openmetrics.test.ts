import {expect} from 'chai'

import {renderOpenMetrics} from '../../../src/lib/health/render.js'
import {above, below, summarize, worstStatus} from '../../../src/lib/health/status.js'
import type {HealthCheck, HealthReport} from '../../../src/lib/health/types.js'
import {parseOpenMetrics} from '../../helpers/prometheus.js'

function report(checks: HealthCheck[]): HealthReport {
  const status = worstStatus(checks.map((c) => c.status))
  return {checkedAt: '2026-01-01T00:00:00.000Z', checks, context: 'prod', diagnosis: [], durationMs: 312, kasmVersion: null, exitCode: {CRITICAL: 2, OK: 0, UNKNOWN: 3, WARNING: 1}[status], status, summary: summarize(checks)}
}

const check = (overrides: Partial<HealthCheck>): HealthCheck => ({
  check: 'healthcheck', durationMs: 12, message: 'ok', role: 'webapp', status: 'OK', target: 'web-1', threshold: above(1000, 3000), unit: 'ms', value: 12, ...overrides,
})

describe('health as OpenMetrics (-o prometheus)', () => {
  const checks = [
    check({}),
    check({durationMs: 3004, status: 'CRITICAL', target: 'web-2', unit: null, value: null}),
    check({check: 'certificate', role: 'proxy', status: 'WARNING', target: 'https://lb "east"\\new', threshold: below(21, 7), unit: 'd', value: 12}),
    check({check: 'checkin', role: 'agent', target: 'agent-1', unit: 's', value: 30}),
    check({check: 'connections', role: 'db', target: 'kasm', unit: '%', value: 45}),
    check({check: 'newest', role: 'backup', status: 'UNKNOWN', target: '/var/backups/kasm', unit: 'B', value: 1_048_576}),
    check({check: 'sessions', role: 'zone', target: 'default', unit: 'count', value: 7}),
    check({check: 'version', role: 'api', target: 'https://kasm', unit: null, value: '1.17.0'}),
  ]

  it('gives every check a status series, parsed by a strict OpenMetrics parser', async () => {
    const families = await parseOpenMetrics(`${renderOpenMetrics(report(checks))}\n`)
    const status = families.find((f) => f.name === 'kasmctl_health_check_status')!
    expect(status.type).to.equal('gauge')
    expect(status.samples.map((s) => [s.labels.role, s.labels.target, s.labels.check, s.value])).to.deep.equal([
      ['webapp', 'web-1', 'healthcheck', 0],
      ['webapp', 'web-2', 'healthcheck', 2],
      ['proxy', 'https://lb "east"\\new', 'certificate', 1],
      ['agent', 'agent-1', 'checkin', 0],
      ['db', 'kasm', 'connections', 0],
      ['backup', '/var/backups/kasm', 'newest', 3],
      ['zone', 'default', 'sessions', 0],
      ['api', 'https://kasm', 'version', 0],
    ])
    expect(status.samples.every((s) => s.labels.context === 'prod')).to.equal(true)
  })

  it('gives numeric values in base units: seconds (ms, s, days), bytes, ratios, plain counts', async () => {
    const families = await parseOpenMetrics(`${renderOpenMetrics(report(checks))}\n`)
    const values = (name: string) => families.find((f) => f.name === name)!.samples.map((s) => [s.labels.check, s.value])
    expect(families.find((f) => f.name === 'kasmctl_health_check_value_seconds')!.unit).to.equal('seconds')
    expect(values('kasmctl_health_check_value_seconds')).to.deep.equal([['healthcheck', 0.012], ['certificate', 12 * 86_400], ['checkin', 30]])
    expect(values('kasmctl_health_check_value_bytes')).to.deep.equal([['newest', 1_048_576]])
    expect(values('kasmctl_health_check_value_ratio')).to.deep.equal([['connections', 0.45]])
    expect(values('kasmctl_health_check_value')).to.deep.equal([['sessions', 7]])
    expect(values('kasmctl_health_check_duration_seconds')).to.have.length(checks.length)
  })

  it('sums the run up: status (its exit code), counts by status, duration and time', async () => {
    const families = await parseOpenMetrics(`${renderOpenMetrics(report(checks))}\n`)
    const one = (name: string) => families.find((f) => f.name === name)!.samples
    expect(one('kasmctl_health_status').map((s) => s.value)).to.deep.equal([2])
    expect(one('kasmctl_health_checks').map((s) => [s.labels.status, s.value])).to.deep.equal([['ok', 5], ['warning', 1], ['critical', 1], ['unknown', 1]])
    expect(one('kasmctl_health_duration_seconds')[0].value).to.equal(0.312)
    expect(one('kasmctl_health_checked_timestamp_seconds')[0].value).to.equal(Date.parse('2026-01-01T00:00:00Z') / 1000)
  })

  it('is valid with no checks at all', async () => {
    const families = await parseOpenMetrics(`${renderOpenMetrics(report([]))}\n`)
    expect(families.map((f) => f.name)).to.include('kasmctl_health_status')
  })

  it('the parser used here does reject broken OpenMetrics (no # EOF, a unit the name lacks)', async () => {
    const text = renderOpenMetrics(report(checks))
    const failure = (input: string) => parseOpenMetrics(input).then(() => '', (error: Error) => error.message)
    expect(await failure(`${text.replace(/# EOF$/, '')}`)).to.match(/EOF/)
    expect(await failure(text.replace('# UNIT kasmctl_health_check_value_bytes bytes', '# UNIT kasmctl_health_check_value_bytes seconds'))).to.match(/[Uu]nit/)
  })
})
