import {expect} from 'chai'
import {parse} from 'yaml'

import {ZONE_SETTINGS} from '../../../src/lib/zones/settings.js'
import {useSandbox} from '../../helpers/sandbox.js'
import {kasmctl, kasmctlJson} from './zone-cli.js'

describe('kasmctl zone list', () => {
  before(async () => {
    await (await useSandbox()).reset()
  })

  it('shows each zone with strategy, search alternate, proxy, enabled/total agents and sessions', async () => {
    const result = await kasmctl(['zone', 'list'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const lines = result.stdout.trimEnd().split('\n')
    expect(lines[0]).to.match(/^NAME\s+ID\s+STRATEGY\s+SEARCH-ALT\s+PROXY\s+AGENTS\s+SESSIONS$/)
    expect(lines.slice(1).map((line) => line.split(/\s+/)[0])).to.deep.equal(['default', 'east', 'enclave'])
    expect(lines[2]).to.match(/^east\s+[\da-f]{8}\s+most-sessions\s+yes\s+\$request_host\$\/desktop\s+2\/2\s+\d+$/)
  })

  it('--json: {zones: [...]} with every setting, agent counts and sessions (docs/json.md)', async () => {
    const sandbox = await useSandbox()
    const {zones} = await kasmctlJson<{zones: Array<Record<string, unknown>>}>(['zone', 'list'])
    expect(zones.map((zone) => zone.zone_name)).to.deep.equal(['default', 'east', 'enclave'])
    for (const zone of zones) {
      expect(Object.keys(zone)).to.have.members(['zone_id', 'zone_name', ...ZONE_SETTINGS.map((s) => s.field), 'agents', 'sessions'])
      expect(zone.zone_id).to.match(/^[\da-f]{32}$/)
    }

    expect(zones.map((zone) => zone.agents)).to.deep.equal([{enabled: 3, total: 3}, {enabled: 2, total: 2}, {enabled: 1, total: 1}])
    // Sessions match what get_kasms reports per zone.
    const client = await sandbox.client()
    try {
      const {kasms} = await client.getKasms()
      for (const zone of zones) {
        expect(zone.sessions, String(zone.zone_name)).to.equal(kasms.filter((kasm) => kasm.server?.zone_name === zone.zone_name).length)
      }
    } finally {
      client.close()
    }
  })

  it('-o yaml prints the same document as YAML', async () => {
    const [yaml, json] = await Promise.all([kasmctl(['zone', 'list', '-o', 'yaml']), kasmctlJson<{zones: Array<{zone_name: string}>}>(['zone', 'list'])])
    expect(yaml.exitCode).to.equal(0)
    const fromYaml = parse(yaml.stdout) as typeof json
    expect(fromYaml.zones.map((z) => z.zone_name)).to.deep.equal(json.zones.map((z) => z.zone_name))
    expect(Object.keys(fromYaml.zones[0])).to.deep.equal(Object.keys(json.zones[0]))
  })
})
