import {expect} from 'chai'

import {useSandbox} from '../../helpers/sandbox.js'
import {kasmctl} from './zone-cli.js'

describe('kasmctl zone lint', () => {
  beforeEach(async () => {
    await (await useSandbox()).reset()
  })

  it('reports the seeded bad zones with severity and the documentation\'s reason; errors exit 2', async () => {
    const result = await kasmctl(['zone', 'lint'])
    expect(result.exitCode, result.stderr).to.equal(2)
    const lines = result.stdout.split('\n')
    expect(lines[0]).to.match(/^ERROR {3}east: upstream_auth_address is left at its default "\$request_host\$" while AutoScaling is enabled \(east-autoscale\).*\[autoscale-upstream-auth\]$/)
    expect(lines[1]).to.match(/^ERROR {3}enclave: the zone is an enclave but search_alternate_zones is on.*\[enclave-search-alternate\]$/)
    expect(result.stdout).to.match(/^WARNING enclave: only 1 enabled agent.*\[ha-min-agents\]$/m)
    expect(result.stdout).to.include('Why:\n')
    expect(result.stdout).to.include('autoscaled Agents silently fail to join the pool')
  })

  it('--json: {status, findings: [{severity, zone, rule, message, reason}]} (docs/json.md)', async () => {
    const result = await kasmctl(['zone', 'lint', '--json'])
    expect(result.exitCode).to.equal(2)
    const {findings, status} = JSON.parse(result.stdout)
    expect(status).to.equal('error')
    for (const finding of findings) expect(Object.keys(finding)).to.have.members(['severity', 'zone', 'rule', 'message', 'reason'])
    expect(findings.filter((f: {severity: string}) => f.severity === 'error').map((f: {zone: string}) => f.zone)).to.deep.equal(['east', 'enclave'])
  })

  it('exits 1 with warnings only, and 0 once every zone follows the rules', async () => {
    const sandbox = await useSandbox()
    const proxyPort = Number(new URL(sandbox.context.proxies![1]).port)
    const fixed = (await kasmctl(['zone', 'apply', '-f', '-'], {
      input: `version: 1\nzones:\n  east:\n    upstream_auth_address: api.internal.example.com\n  enclave:\n    search_alternate_zones: false\n`,
    })).exitCode
    expect(fixed).to.equal(0)
    const warnings = await kasmctl(['zone', 'lint', '--json'])
    expect(warnings.exitCode).to.equal(1)
    expect(JSON.parse(warnings.stdout).status).to.equal('warning')

    const ports = ['default', 'east', 'enclave'].map((zone) => `  ${zone}:\n    proxy_port: ${proxyPort}\n`).join('')
    expect((await kasmctl(['zone', 'apply', '-f', '-'], {input: `version: 1\nzones:\n${ports}`})).exitCode).to.equal(0)
    // The enclave gets a second agent (moved from default, which keeps two).
    const client = await sandbox.client()
    try {
      const zones = await client.getZones()
      const agent3 = zones.find((z) => z.zone_name === 'default')!.servers!.find((s) => s.hostname === 'agent-3')!
      await client.updateServer(agent3.server_id, 'host', {zone_id: zones.find((z) => z.zone_name === 'enclave')!.zone_id})
    } finally {
      client.close()
    }

    const clean = await kasmctl(['zone', 'lint'])
    expect(clean.exitCode, clean.stdout).to.equal(0)
    expect(clean.stdout).to.equal('OK: no findings\n')
  })

  it('--file marks enclaves and lints the zones as the file would leave them', async () => {
    const result = await kasmctl(['zone', 'lint', '--file', '-', '--json'], {input: 'version: 1\nzones:\n  east:\n    enclave: true\n    upstream_auth_address: api.internal\n'})
    const {findings} = JSON.parse(result.stdout)
    const errors = findings.filter((f: {severity: string}) => f.severity === 'error').map((f: {rule: string; zone: string}) => `${f.zone} ${f.rule}`)
    expect(errors).to.deep.equal(['east enclave-search-alternate', 'enclave enclave-search-alternate'])
  })

  it('exits 3 (UNKNOWN) when it cannot run: a bad zones file, or the API down', async () => {
    const bad = await kasmctl(['zone', 'lint', '--file', '-'], {input: 'zones: [\n'})
    expect(bad.exitCode).to.equal(3)
    expect(bad.stderr).to.include('not valid YAML')
    const unknownFlag = await kasmctl(['zone', 'lint', '--strict'])
    expect(unknownFlag.exitCode).to.equal(3)

    const sandbox = await useSandbox()
    await sandbox.fault({kind: 'api-down'})
    try {
      expect((await kasmctl(['zone', 'lint'])).exitCode).to.equal(3)
    } finally {
      await sandbox.clearFaults()
    }
  })
})
