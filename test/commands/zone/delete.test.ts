import {expect} from 'chai'

import {useSandbox} from '../../helpers/sandbox.js'
import {expectRefused, kasmctl, kasmctlJson, zoneNamed, zoneState} from './zone-cli.js'

describe('kasmctl zone delete', () => {
  beforeEach(async () => {
    const sandbox = await useSandbox()
    await sandbox.reset()
    const client = await sandbox.client()
    await client.createZone({zone_name: 'west'}).finally(() => client.close())
  })

  it('asks for a typed confirmation: without --yes and off a terminal it refuses and deletes nothing', async () => {
    const result = await expectRefused(['zone', 'delete', 'west'], 'Delete zone west (')
    expect(result.stderr).to.include('re-run with --yes to confirm')
  })

  it('--dry-run shows what would happen and sends nothing', async () => {
    const before = await zoneState()
    const result = await kasmctl(['zone', 'delete', 'default', '--dry-run'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^would delete zone default \(dry run: nothing sent\); Kasm will refuse: it is used by manager webapp-1, manager webapp-2, server agent-1/)
    expect(await zoneState()).to.deep.equal(before)
  })

  it('--yes deletes; --json: {zone_id, zone_name, deleted, dry_run, in_use_by} (docs/json.md)', async () => {
    const id = (await zoneNamed('west'))!.zone_id
    const result = await kasmctlJson(['zone', 'delete', 'west', '--yes'])
    expect(result).to.deep.equal({deleted: true, dry_run: false, in_use_by: {managers: [], servers: []}, zone_id: id, zone_name: 'west'})
    expect(await zoneNamed('west')).to.equal(undefined)
  })

  it('when Kasm refuses (zone in use), shows its message and which managers and agents use the zone', async () => {
    const before = await zoneState()
    const result = await kasmctl(['zone', 'delete', 'default', '--yes'])
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.match(/Kasm refused to delete zone default \([\da-f]{8}\): Zone \([\da-f]{32}\): \(default\) is in use by \(2\) managers and cannot be deleted/)
    expect(result.stderr).to.match(/^ {2}manager webapp-1 \([\da-f]{8}\)$/m)
    expect(result.stderr).to.match(/^ {2}agent agent-3 \([\da-f]{8}\)$/m)
    expect(result.stderr).to.match(/^ {2}server rdp-1 \([\da-f]{8}\)$/m)
    expect(result.stderr).to.include('Nothing was changed')
    expect(await zoneState()).to.deep.equal(before)

    const json = await kasmctl(['zone', 'delete', 'default', '--yes', '--json'])
    const {error} = JSON.parse(json.stdout)
    expect(error).to.include({code: 'ZONE_IN_USE', exitCode: 1})
    expect(error.details.in_use_by.managers.map((m: {manager_hostname: string}) => m.manager_hostname).sort()).to.deep.equal(['webapp-1', 'webapp-2'])
  })

  it('an unknown zone is a usage error', async () => {
    await expectRefused(['zone', 'delete', 'north', '--yes'], 'no zone "north"')
  })
})
