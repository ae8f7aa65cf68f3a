import {expect} from 'chai'

import {runCli} from '../helpers/cli.js'
import {parseOpenMetrics} from '../helpers/openmetrics.js'
import {type TestSandbox, useSandbox} from '../helpers/sandbox.js'

describe('kasmctl health -o prometheus', function () {
  this.timeout(60_000)
  let sandbox: TestSandbox
  /** The seeded state is graded on content, not speed: a busy CI machine must not turn latency CRITICAL. */
  const patient = ['--timeout', '20s', '--warn-latency', '10s', '--crit-latency', '20s']

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  it('prints every check of the run as OpenMetrics, with the monitoring exit code', async () => {
    const [metrics, json] = await Promise.all([
      runCli(['health', '--all', '-o', 'prometheus', ...patient], {env: sandbox.env}),
      runCli(['health', '--all', '--json', ...patient], {env: sandbox.env}),
    ])
    const report = JSON.parse(json.stdout) as {exitCode: number; checks: Array<{role: string; target: string; check: string; status: string}>}
    expect(metrics.exitCode, metrics.stderr).to.equal(report.exitCode)
    const families = await parseOpenMetrics(metrics.stdout)
    const status = families.find((f) => f.name === 'kasmctl_health_check_status')!
    const code: Record<string, number> = {CRITICAL: 2, OK: 0, UNKNOWN: 3, WARNING: 1}
    const key = (role: string, target: string, check: string) => `${role} ${target} ${check}`
    expect(new Map(status.samples.map((s) => [key(s.labels.role, s.labels.target, s.labels.check), s.value]))).to.deep.equal(
      new Map(report.checks.map((c) => [key(c.role, c.target, c.check), code[c.status]])),
    )
    expect(families.find((f) => f.name === 'kasmctl_health_status')!.samples[0]).to.deep.include({labels: {context: 'sandbox'}, value: report.exitCode})
  })

  it('refuses -o prometheus with --watch (exit 3 UNKNOWN), and an unknown format names the valid ones', async () => {
    const watch = await runCli(['health', '-o', 'prometheus', '--watch', '30s'], {env: sandbox.env})
    expect(watch.exitCode).to.equal(3)
    expect(watch.stderr).to.include('-o prometheus prints one run')
    const bad = await runCli(['health', '-o', 'openmetrics'], {env: sandbox.env})
    expect(bad.exitCode).to.equal(3)
    expect(bad.stderr).to.include('openmetrics').and.include('prometheus')
  })
})
