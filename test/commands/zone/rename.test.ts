import {expect} from 'chai'

import {useSandbox} from '../../helpers/sandbox.js'
import {expectRefused, kasmctl, kasmctlJson, zoneNamed, zoneState} from './zone-cli.js'

describe('kasmctl zone rename', () => {
  beforeEach(async () => {
    await (await useSandbox()).reset()
  })

  it('renames the zone object (same id)', async () => {
    const id = (await zoneNamed('east'))!.zone_id
    const result = await kasmctl(['zone', 'rename', 'east', 'us-east'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.equal('renamed zone east to us-east\nno web app or connection proxy registers with this zone: no host edit needed\n')
    expect((await zoneNamed('us-east'))!.zone_id).to.equal(id)
    expect(await zoneNamed('east')).to.equal(undefined)
  })

  it('prints the host edits still needed: each web app and connection proxy of the zone', async () => {
    const before = await zoneState()
    const result = await kasmctl(['zone', 'rename', 'default', 'main', '--dry-run'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.include('would rename zone default to main (dry run: nothing sent)')
    expect(result.stdout).to.include('the next start of these hosts registers "default" again as a new zone')
    for (const host of ['webapp-1', 'webapp-2', 'guac-1', 'guac-2']) expect(result.stdout).to.include(`kasmctl host zone-name main --host ${host}`)
    expect(await zoneState()).to.deep.equal(before)
  })

  it('--json: {zone_id, before, after, renamed, dry_run, host_edits: [{role, address, host, command}]} (docs/json.md)', async () => {
    const result = await kasmctlJson<{host_edits: Array<Record<string, unknown>>}>(['zone', 'rename', 'default', 'main', '--dry-run'])
    expect(result).to.deep.include({after: 'main', before: 'default', dry_run: true, renamed: false, zone_id: (await zoneNamed('default'))!.zone_id})
    expect(result.host_edits).to.deep.include({address: 'webapp-1', command: 'kasmctl host zone-name main --host webapp-1', host: 'webapp-1', role: 'webapp'})
    expect(result.host_edits.map((edit) => edit.role)).to.deep.equal(['webapp', 'webapp', 'connection-proxy', 'connection-proxy'])
  })

  it('refuses a taken, empty or padded new name, and an unknown zone', async () => {
    await expectRefused(['zone', 'rename', 'east', 'default'], 'the zone name "default" is already taken by zone default (')
    await expectRefused(['zone', 'rename', 'east', ''], 'new zone name "" is empty')
    await expectRefused(['zone', 'rename', 'east', 'west '], 'new zone name "west " has surrounding whitespace')
    await expectRefused(['zone', 'rename', 'north', 'south'], 'no zone "north"')
  })
})
