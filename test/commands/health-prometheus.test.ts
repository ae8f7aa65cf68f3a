import {expect} from 'chai'

import {runCli} from '../helpers/cli.js'
import {parseOpenMetrics} from '../helpers/prometheus.js'
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
    const report = JSON.parse(json.stdout) as {checks: Array<{role: string; target: string; check: string}>}
    const families = await parseOpenMetrics(metrics.stdout)
    const samples = (name: string) => families.find((f) => f.name === name)!.samples
    // The same checks as a --json run (two runs: their statuses may differ, their checks do not).
    const key = (role: string, target: string, check: string) => `${role} ${target} ${check}`
    const statuses = samples('kasmctl_health_check_status')
    expect(statuses.map((s) => key(s.labels.role, s.labels.target, s.labels.check)).sort()).to.deep.equal(report.checks.map((c) => key(c.role, c.target, c.check)).sort())
    // Within the run: the exit code is the run's status, and the counts are those of the checks' statuses.
    expect(samples('kasmctl_health_status')[0]).to.deep.include({labels: {context: 'sandbox'}, value: metrics.exitCode})
    const counted = Object.fromEntries(samples('kasmctl_health_checks').map((s) => [s.labels.status, s.value]))
    const code = {critical: 2, ok: 0, unknown: 3, warning: 1}
    for (const [status, value] of Object.entries(code)) expect(counted[status], status).to.equal(statuses.filter((s) => s.value === value).length)
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
