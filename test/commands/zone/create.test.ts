import {expect} from 'chai'

import {ZONE_SETTINGS} from '../../../src/lib/zones/settings.js'
import {useSandbox} from '../../helpers/sandbox.js'
import {expectRefused, kasmctl, kasmctlJson, zoneNamed, zoneState} from './zone-cli.js'

describe('kasmctl zone create', () => {
  beforeEach(async () => {
    await (await useSandbox()).reset()
  })

  it('creates a zone with the settings given and Kasm\'s defaults for the rest', async () => {
    const result = await kasmctl(['zone', 'create', 'west', '--search-alternate=false', '--load-strategy', 'most-sessions', '--proxy-port', '0'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^created zone west \([\da-f]{32}\)$/m)
    const west = (await zoneNamed('west'))!
    expect(west).to.include({load_strategy: 'most_kasms', proxy_port: 0, search_alternate_zones: false})
    for (const spec of ZONE_SETTINGS.filter((s) => !['load_strategy', 'proxy_port', 'search_alternate_zones'].includes(s.field))) {
      expect(west[spec.field], spec.field).to.equal(spec.default)
    }
  })

  it('--json: {created, dry_run, zone: {zone_id, zone_name, ...settings}} (docs/json.md)', async () => {
    const created = await kasmctlJson<{created: boolean; dry_run: boolean; zone: Record<string, unknown>}>(['zone', 'create', 'west', '--upstream-auth-address', '$request_host$'])
    expect(created).to.include({created: true, dry_run: false})
    expect(Object.keys(created.zone)).to.have.members(['zone_id', 'zone_name', ...ZONE_SETTINGS.map((s) => s.field)])
    expect(created.zone).to.include({upstream_auth_address: '$request_host$', zone_id: (await zoneNamed('west'))!.zone_id, zone_name: 'west'})
  })

  it('--dry-run shows the zone and sends nothing', async () => {
    const before = await zoneState()
    const plan = await kasmctlJson<{created: boolean; dry_run: boolean; zone: Record<string, unknown>}>(['zone', 'create', 'west', '--no-proxy-connections', '--dry-run'])
    expect(plan).to.deep.include({created: false, dry_run: true})
    expect(plan.zone).to.include({proxy_connections: false, zone_id: null, zone_name: 'west'})
    expect(await zoneState()).to.deep.equal(before)
  })

  it('refuses bad input with exit 64, naming the value and the valid ones, and sends nothing', async () => {
    await expectRefused(['zone', 'create', ''], 'zone name "" is empty')
    await expectRefused(['zone', 'create', '   '], 'zone name "   " is empty')
    await expectRefused(['zone', 'create', 'east'], 'the zone name "east" is already taken by zone east (')
    await expectRefused(['zone', 'create', 'west', '--proxy-port', '70000'], '--proxy-port: "70000" is not a port: use a whole number from 0 to 65535')
    await expectRefused(['zone', 'create', 'west', '--proxy-rdp-port', '-1'], '--proxy-rdp-port: "-1" is not a port')
    await expectRefused(['zone', 'create', 'west', '--load-strategy', 'fastest'], '"fastest" is not a load strategy: use least-load, most-load, least-sessions or most-sessions')
    await expectRefused(['zone', 'create', 'west', '--search-alternate=maybe'], '"maybe" is not a boolean value for --search-alternate: use true, false, yes, no, 1 or 0')
    await expectRefused(['zone', 'create', 'west', '--verify-rdp-client-ip', '--no-verify-rdp-client-ip'], 'conflicting flags: --verify-rdp-client-ip and --no-verify-rdp-client-ip')
  })
})
