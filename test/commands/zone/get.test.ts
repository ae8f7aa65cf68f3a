import {expect} from 'chai'

import {ZONE_SETTINGS} from '../../../src/lib/zones/settings.js'
import {useSandbox} from '../../helpers/sandbox.js'
import {expectRefused, kasmctl, kasmctlJson, zoneNamed} from './zone-cli.js'

describe('kasmctl zone get', () => {
  before(async () => {
    await (await useSandbox()).reset()
  })

  it('shows every field, the managers and the agents of a zone', async () => {
    const result = await kasmctl(['zone', 'get', 'default'])
    expect(result.exitCode, result.stderr).to.equal(0)
    for (const {field} of ZONE_SETTINGS) expect(result.stdout).to.match(new RegExp(`^${field}:`, 'm'))
    expect(result.stdout).to.match(/^agents:\s+3 enabled of 3$/m)
    expect(result.stdout).to.match(/^managers:\s+webapp-1, webapp-2$/m)
    expect(result.stdout).to.match(/^agent-1\s+[\da-f]{8}\s+agent\s+yes\s+running\s+\d+$/m)
  })

  it('accepts a full id, a dashed upper-case id and a unique id prefix', async () => {
    const east = (await zoneNamed('east'))!
    const id = east.zone_id
    const dashed = `${id.slice(0, 8)}-${id.slice(8, 12)}-${id.slice(12, 16)}-${id.slice(16, 20)}-${id.slice(20)}`.toUpperCase()
    for (const ref of [id, dashed, id.slice(0, 8)]) {
      const {zone} = await kasmctlJson<{zone: {zone_name: string}}>(['zone', 'get', ref])
      expect(zone.zone_name, ref).to.equal('east')
    }
  })

  it('--json: {zone: ...} with settings, counts, managers, servers and free capacity (docs/json.md)', async () => {
    const {zone} = await kasmctlJson<{zone: Record<string, unknown>}>(['zone', 'get', 'default'])
    expect(Object.keys(zone)).to.have.members([
      'zone_id', 'zone_name', ...ZONE_SETTINGS.map((s) => s.field), 'agents', 'sessions',
      'primary_manager_id', 'managers', 'servers', 'available_cores', 'available_gpus', 'available_memory',
    ])
    expect(zone.agents).to.deep.equal({enabled: 3, total: 3})
    expect((zone.managers as Array<{manager_hostname: string}>).map((m) => m.manager_hostname).sort()).to.deep.equal(['webapp-1', 'webapp-2'])
    const servers = zone.servers as Array<Record<string, unknown>>
    expect(servers.map((s) => s.hostname).sort()).to.deep.equal(['agent-1', 'agent-2', 'agent-3', 'rdp-1', 'rdp-2'])
    expect(Object.keys(servers[0])).to.have.members(['enabled', 'hostname', 'operational_status', 'server_id', 'server_type', 'sessions'])
  })

  it('an unknown zone is a usage error listing the known zones', async () => {
    const result = await expectRefused(['zone', 'get', 'west'], 'no zone "west": known zones: default, east, enclave')
    expect(result.stderr).to.include('unique id prefix')
  })
})
