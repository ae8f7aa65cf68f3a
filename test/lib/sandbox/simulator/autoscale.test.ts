import {expect} from 'chai'

import {KASM_VERSIONS} from '../../../../src/lib/kasm/version.js'
import {checkinUrl} from '../../../../src/lib/sandbox/simulator/autoscaler.js'
import {type TestSandbox, useSandbox} from '../../../helpers/sandbox.js'
import {call, query, request, webappUrl} from './raw.js'

type Row = Record<string, unknown>

/** The servers rdp-autoscale created, oldest first. */
async function autoscaled(sandbox: TestSandbox): Promise<Row[]> {
  return query(
    sandbox,
    `SELECT s.hostname, s.operational_status, s.server_type, s.max_simultaneous_sessions
       FROM servers s JOIN autoscale_configs ac USING (autoscale_config_id)
      WHERE ac.autoscale_config_name = 'rdp-autoscale' ORDER BY s.created, s.hostname`,
  )
}

async function setConfig(sandbox: TestSandbox, set: string): Promise<void> {
  await query(sandbox, `UPDATE autoscale_configs SET ${set} WHERE autoscale_config_name = 'rdp-autoscale'`)
}

/** Points the default zone's upstream auth address at a listening web app of the sandbox. */
async function upstreamToWebapp(sandbox: TestSandbox): Promise<void> {
  await query(sandbox, `UPDATE zones SET upstream_auth_address = $1 WHERE zone_name = 'default'`, [new URL(webappUrl(sandbox)).host])
}

// On every release the sandbox imitates: 1.15 and 1.16 send memory in MB/GB and have no max users per server.
for (const kasmVersion of KASM_VERSIONS) describe(`Kasm API simulator: server pools and AutoScale (${kasmVersion})`, () => {
  const modern = kasmVersion === '1.19'
  /** The rdp config's servers take 2 sessions each whatever the release: 1.19's seeded user limit of 1 lifted. */
  const noUserLimit = modern ? ', max_simultaneous_users = NULL' : ''
  let sandbox: TestSandbox
  before(async () => {
    sandbox = await useSandbox({kasmVersion})
    await sandbox.reset()
  })

  describe('the API', () => {
    it('get_server_pools lists each pool with its type, servers and autoscale configs', async () => {
      const {json} = await call(sandbox, 'get_server_pools')
      const pools = json.server_pools.map((p: Row) => ({
        configs: (p.autoscale_configs as Row[]).map((c) => c.autoscale_config_name),
        name: p.server_pool_name,
        servers: (p.servers as Row[]).map((s) => s.hostname),
        type: p.server_pool_type,
      }))
      expect(pools).to.deep.equal([
        {configs: ['east-autoscale'], name: 'east-pool', servers: [], type: 'Docker Agent'},
        {configs: ['rdp-autoscale'], name: 'rdp-pool', servers: ['rdp-1', 'rdp-2'], type: 'Server Pool'},
      ])
    })

    it(modern ? 'sends memory in bytes and max_simultaneous_users' : 'sends memory in MB / GB and has no max_simultaneous_users', async () => {
      const {json} = await call(sandbox, 'get_autoscale_configs')
      const rdp = json.autoscale_configs.find((c: Row) => c.autoscale_config_name === 'rdp-autoscale')
      expect(rdp).to.include({autoscale_type: 'Server Pool', minimum_pool_standby_sessions: 2})
      expect(rdp.vm_provider_config).to.include({vm_provider_display_name: 'Sandbox VMs (simulated)'})
      if (modern) {
        expect(rdp).to.include({agent_memory_override_bytes: 0, max_simultaneous_users: 1, standby_memory_bytes: 0})
      } else {
        expect(rdp).to.include({agent_memory_override_gb: 0, standby_memory_mb: 0})
        expect(rdp).to.not.have.any.keys('max_simultaneous_users', 'standby_memory_bytes')
      }
    })

    it('update_autoscale_config is not partial here: a field left out goes back to its default', async () => {
      const {json} = await call(sandbox, 'get_autoscale_configs')
      const east = json.autoscale_configs.find((c: Row) => c.autoscale_config_name === 'east-autoscale')
      const whole = await call(sandbox, 'update_autoscale_config', {target_autoscale_config: {...east, standby_cores: 0, downscale_backoff: 120}})
      expect(whole.json.autoscale_config).to.include({downscale_backoff: 120, require_checkin: true, server_pool_id: east.server_pool_id})
      const partial = await call(sandbox, 'update_autoscale_config', {
        target_autoscale_config: {autoscale_config_id: east.autoscale_config_id, autoscale_config_name: 'east-autoscale', zone_id: east.zone_id},
      })
      expect(partial.json.autoscale_config).to.include({downscale_backoff: 900, server_pool_id: null})
      await sandbox.reset()
    })

    it('without the licence, pool and autoscale calls answer 403 "Access Denied. Auto Scaling is not licensed"', async () => {
      await sandbox.fault({kind: 'autoscale-unlicensed'})
      try {
        for (const method of ['get_server_pools', 'get_autoscale_configs', 'update_autoscale_config']) {
          const response = await call(sandbox, method, {})
          expect(response.status, method).to.equal(403)
          expect(response.json).to.deep.equal({error_message: 'Access Denied. Auto Scaling is not licensed'})
        }

        expect((await call(sandbox, 'get_zones')).status).to.equal(200)
      } finally {
        await sandbox.clearFaults()
      }
    })

    it('set_server_status checks the JWT: missing, forged, or valid for the server', async () => {
      const url = `${webappUrl(sandbox)}/api/set_server_status`
      const post = (query: string, body: Row) => request(`${url}${query}`, {body: JSON.stringify(body), headers: {'Content-Type': 'application/json'}, method: 'POST'})
      expect((await post('', {status: 'running'})).json).to.deep.equal({error_message: 'JWT token missing from request'})
      const [rdp1] = await query<{server_id: string}>(sandbox, `SELECT server_id::text FROM servers WHERE hostname = 'rdp-1'`)
      const {json} = await call(sandbox, 'get_servers', {target_server: {server_id: rdp1.server_id}})
      const jwt = json.servers[0].registration_jwt as string
      const forged = `${jwt.split('.').slice(0, 2).join('.')}.${Buffer.from('not the signature').toString('base64url')}`
      expect(await post(`?token=${forged}`, {status: 'running'})).to.include({status: 403})
      expect((await post(`?token=${jwt}`, {status: 'sleeping'})).status).to.equal(400)
      const ok = await post('', {status: 'running', token: jwt})
      expect(ok).to.include({status: 200})
      expect(ok.json).to.deep.equal({status: 'running'})
    })
  })

  describe('the autoscaler loop', () => {
    beforeEach(async () => {
      await sandbox.reset()
    })

    it('below Minimum Available Sessions it creates servers, which appear as starting', async () => {
      // rdp-1 and rdp-2 each take 1 new session: 2 available. A minimum of 5 lacks 3: 2 servers of 2 sessions.
      await setConfig(sandbox, `enabled = true, minimum_pool_standby_sessions = 5${noUserLimit}`)
      await sandbox.tick()
      const created = await autoscaled(sandbox)
      expect(created.map((s) => s.operational_status)).to.deep.equal(['starting', 'starting'])
      expect(created[0]).to.include({max_simultaneous_sessions: 2, server_type: 'Desktop'})
      expect(String(created[0].hostname)).to.match(/^rdp-autoscale-[\da-f]{6}$/)
    })

    it('never goes past the VM provider\'s max_instances', async () => {
      await setConfig(sandbox, 'enabled = true, minimum_pool_standby_sessions = 50')
      await sandbox.tick()
      expect(await autoscaled(sandbox)).to.have.length(4)
    })

    it('with the upstream auth address at its default, new servers never check in and stay starting', async () => {
      await setConfig(sandbox, 'enabled = true, minimum_pool_standby_sessions = 3')
      for (let i = 0; i < 3; i++) await sandbox.tick()
      const servers = await autoscaled(sandbox)
      expect(servers.map((s) => s.operational_status)).to.deep.equal(['starting'])
    })

    it('with the upstream auth address on a listening web app, they call set_server_status and run', async () => {
      await upstreamToWebapp(sandbox)
      await setConfig(sandbox, 'enabled = true, minimum_pool_standby_sessions = 3')
      await sandbox.tick()
      await sandbox.tick()
      expect((await autoscaled(sandbox)).map((s) => s.operational_status)).to.deep.equal(['running'])
    })

    it('without require_checkin, a server runs once booted, whatever the upstream address', async () => {
      await setConfig(sandbox, 'enabled = true, minimum_pool_standby_sessions = 3, require_checkin = false')
      await sandbox.tick()
      await sandbox.tick()
      expect((await autoscaled(sandbox)).map((s) => s.operational_status)).to.deep.equal(['running'])
    })

    it('a downscale waits for the backoff, counted from when it was first wanted', async () => {
      await upstreamToWebapp(sandbox)
      await setConfig(sandbox, `enabled = true, minimum_pool_standby_sessions = 4, downscale_backoff = 600${noUserLimit}`)
      await sandbox.tick()
      await sandbox.tick()
      expect((await autoscaled(sandbox)).map((s) => s.operational_status)).to.deep.equal(['running'])

      // 4 available and a minimum of 2: the idle autoscaled server is surplus, but the backoff holds it.
      await setConfig(sandbox, 'minimum_pool_standby_sessions = 2')
      await sandbox.tick()
      await sandbox.tick()
      expect(await autoscaled(sandbox)).to.have.length(1)
      const [{wanted}] = await query<{wanted: boolean}>(sandbox, `SELECT request_downscale_at IS NOT NULL AS wanted FROM autoscale_configs WHERE autoscale_config_name = 'rdp-autoscale'`)
      expect(wanted).to.equal(true)

      // Ten minutes later (moved back rather than waited for), the next tick deletes it.
      await setConfig(sandbox, `request_downscale_at = request_downscale_at - interval '11 minutes'`)
      await sandbox.tick()
      expect(await autoscaled(sandbox)).to.deep.equal([])
    })

    it('a Docker-agent config adds agents while the zone has less free capacity than its standby', async () => {
      // east has agents 4 and 5 with 8 + 12 cores (overrides: 24 GiB on agent-4), partly used by the seeded sessions.
      await query(sandbox, `UPDATE autoscale_configs SET standby_cores = 40, agent_cores_override = 8 WHERE autoscale_config_name = 'east-autoscale'`)
      await sandbox.tick()
      const agents = await query(sandbox, `SELECT server_type, operational_status, cores FROM servers WHERE autoscale_config_id IS NOT NULL`)
      expect(agents.length).to.be.greaterThan(0)
      expect(agents[0]).to.deep.equal({cores: 8, operational_status: 'starting', server_type: 'host'})
    })
  })
})

describe('Kasm API simulator: where a new VM sends its check-in', () => {
  it('only loopback addresses can answer in the sandbox; $request_host$ reaches nothing', () => {
    expect(checkinUrl('127.0.0.1:9001')).to.equal('http://127.0.0.1:9001/api/set_server_status')
    expect(checkinUrl('https://localhost:8443')).to.equal('https://localhost:8443/api/set_server_status')
    expect(checkinUrl('$request_host$')).to.equal(undefined)
    expect(checkinUrl('proxy')).to.equal(undefined)
    expect(checkinUrl('api.internal.example.com')).to.equal(undefined)
  })
})
