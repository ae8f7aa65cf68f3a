import {expect} from 'chai'

import {OperationError} from '../../../src/lib/errors.js'
import type {Zone} from '../../../src/lib/kasm/types.js'
import {parseZonesFile} from '../../../src/lib/zones/file.js'
import {applyPlan, formatPlan, planZones} from '../../../src/lib/zones/plan.js'
import {useSandbox} from '../../helpers/sandbox.js'

const live: Zone[] = [
  {load_strategy: 'least_load', proxy_port: 443, search_alternate_zones: true, zone_id: 'a'.repeat(32), zone_name: 'default'},
  {load_strategy: 'most_kasms', proxy_port: 443, search_alternate_zones: true, zone_id: 'b'.repeat(32), zone_name: 'east'},
]
const file = (text: string) => parseZonesFile(`version: 1\nzones:\n${text}`, 'zones.yaml')

describe('zone plans', () => {
  it('updates only the fields that differ, creates missing zones with defaults, leaves other zones alone', () => {
    const plan = planZones(live, file('  default:\n    proxy_port: 443\n  east:\n    search_alternate_zones: false\n  west: {}\n'), {prune: false})
    expect(plan.changed).to.equal(true)
    expect(plan.unchanged).to.deep.equal(['default'])
    expect(plan.actions.map((a) => `${a.action} ${a.zone_name}`)).to.deep.equal(['update east', 'create west'])
    expect(plan.actions[0].changes).to.deep.equal([{after: false, before: true, field: 'search_alternate_zones'}])
    expect(plan.actions[1].changes.find((c) => c.field === 'proxy_path')).to.deep.equal({after: 'desktop', before: null, field: 'proxy_path'})
  })

  it('deletes zones missing from the file only with prune, after creates and updates', () => {
    const text = '  default: {}\n  west: {}\n'
    expect(planZones(live, file(text), {prune: false}).actions.map((a) => a.action)).to.deep.equal(['create'])
    expect(planZones(live, file(text), {prune: true}).actions.map((a) => `${a.action} ${a.zone_name}`)).to.deep.equal(['create west', 'delete east'])
  })

  it('prints + / ~ / - blocks with before → after, and says when nothing differs', () => {
    const plan = planZones(live, file('  east:\n    load_strategy: least-load\n'), {prune: true})
    expect(formatPlan(plan)).to.equal('~ zone east\n    load_strategy: most-sessions → least-load\n- zone default (not in the file; --prune)')
    expect(formatPlan(planZones(live, file('  east: {}\n'), {prune: false}))).to.equal('no changes: 1 zone(s) match the file')
  })

  it('never shows a drift a release cannot fix: RDP fields its zones lack are ignored, and said so', () => {
    // Zones as Kasm 1.15 returns them: no RDP field at all.
    const rdp = '    proxy_rdp_hostname: rdp.example.com\n    proxy_rdp_port: 8443\n'
    const plan = planZones(live, file(`  east:\n    load_strategy: most-sessions\n${rdp}  west:\n${rdp}`), {prune: false})
    expect(plan.unchanged).to.deep.equal(['east'])
    expect(plan.ignored).to.deep.equal([
      {fields: ['proxy_rdp_hostname', 'proxy_rdp_port'], zone_name: 'east'},
      {fields: ['proxy_rdp_hostname', 'proxy_rdp_port'], zone_name: 'west'},
    ])
    const created = plan.actions[0].changes.map((change) => change.field)
    expect(created).to.include('proxy_path').and.not.include('proxy_rdp_hostname').and.not.include('enable_rdp_https_gw')
    expect(formatPlan(plan)).to.include('! ignored for zone east, not fields of this Kasm: proxy_rdp_hostname, proxy_rdp_port')
    expect(formatPlan(planZones(live, file(`  east:\n${rdp}`), {prune: false}))).to.equal(
      'no changes: 1 zone(s) match the file\n! ignored for zone east, not fields of this Kasm: proxy_rdp_hostname, proxy_rdp_port',
    )
  })

  describe('applying against the sandbox', () => {
    beforeEach(async () => {
      await (await useSandbox()).reset()
    })

    it('is idempotent: the second apply of the same file has nothing to do', async () => {
      const sandbox = await useSandbox()
      const client = await sandbox.client()
      try {
        const zones = file('  enclave:\n    search_alternate_zones: false\n  west:\n    load_strategy: most-load\n')
        const first = planZones(await client.getZones(), zones, {prune: false})
        await applyPlan(client, first, await client.getZones())
        const after = await client.getZones()
        expect(after.find((z) => z.zone_name === 'enclave')!.search_alternate_zones).to.equal(false)
        expect(after.find((z) => z.zone_name === 'west')).to.include({load_strategy: 'most_load', proxy_path: 'desktop'})
        const second = planZones(after, zones, {prune: false})
        expect(second).to.deep.equal({actions: [], changed: false, ignored: [], unchanged: ['enclave', 'west']})
      } finally {
        client.close()
      }
    })

    it('after a failure midway, says what is done and not done, and the same apply finishes the rest', async () => {
      const sandbox = await useSandbox()
      const client = await sandbox.client()
      try {
        const zones = file('  default:\n    proxy_port: 8443\n  east:\n    proxy_port: 8443\n  west: {}\n')
        const plan = planZones(await client.getZones(), zones, {prune: false})
        // The API goes down after the first zone is updated.
        let error: unknown
        await applyPlan(client, plan, await client.getZones(), async (tasks) => {
          await tasks[0].run()
          await sandbox.fault({kind: 'api-down'})
          for (const task of tasks.slice(1)) await task.run()
        }).catch((error_) => (error = error_))
        await sandbox.clearFaults()
        expect(error).to.be.instanceOf(OperationError)
        expect((error as OperationError).details).to.deep.equal({done: ['update default'], failed: 'update east', not_done: ['create west']})
        expect((error as OperationError).hint).to.include('run the same `kasmctl zone apply` again')

        const resumed = planZones(await client.getZones(), zones, {prune: false})
        expect(resumed.actions.map((a) => `${a.action} ${a.zone_name}`)).to.deep.equal(['update east', 'create west'])
        await applyPlan(client, resumed, await client.getZones())
        expect(planZones(await client.getZones(), zones, {prune: false}).changed).to.equal(false)
      } finally {
        client.close()
      }
    })
  })
})
