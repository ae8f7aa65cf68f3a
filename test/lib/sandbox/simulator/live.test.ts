import {expect} from 'chai'
import {readFile, writeFile} from 'node:fs/promises'

import {type TestSandbox, useSandbox} from '../../../helpers/sandbox.js'
import {call, query, request, webappUrl} from './raw.js'

const AGED = `(now() AT TIME ZONE 'utc') - interval '1 hour'`

describe('Kasm API simulator: live behaviour', () => {
  let sandbox: TestSandbox

  before(async () => {
    sandbox = await useSandbox()
  })

  beforeEach(() => sandbox.reset())

  async function reportedAgo(table: 'managers' | 'servers', column: string, name: string): Promise<number> {
    const [row] = await query<{ago: number}>(
      sandbox,
      `SELECT extract(epoch FROM (now() AT TIME ZONE 'utc') - last_reported)::int AS ago FROM ${table} WHERE ${column} = $1`,
      [name],
    )
    return row.ago
  }

  describe('check-ins', () => {
    it('bumps last_reported of running agents, web app managers and guac proxies on each tick', async () => {
      await query(sandbox, `UPDATE servers SET last_reported = ${AGED}`)
      await query(sandbox, `UPDATE managers SET last_reported = ${AGED}`)
      await query(sandbox, `UPDATE connection_proxies SET last_reported = ${AGED}`)
      await sandbox.tick()
      expect(await reportedAgo('servers', 'hostname', 'agent-1')).to.be.lessThan(60)
      expect(await reportedAgo('managers', 'manager_hostname', 'webapp-2')).to.be.lessThan(60)
      const proxies = await query<{ago: number}>(sandbox, `SELECT extract(epoch FROM (now() AT TIME ZONE 'utc') - last_reported)::int AS ago FROM connection_proxies`)
      expect(proxies.every((p) => p.ago < 60)).to.equal(true)
      // Desktop (RDP) servers have no agent to check in.
      expect(await reportedAgo('servers', 'hostname', 'rdp-1')).to.be.greaterThan(3000)
    })

    it('stops an agent checking in under the agent-no-checkin fault, and resumes once cleared', async () => {
      await sandbox.fault({kind: 'agent-no-checkin', target: 'agent-4'})
      await query(sandbox, `UPDATE servers SET last_reported = ${AGED} WHERE hostname IN ('agent-4', 'agent-5')`)
      await sandbox.tick()
      expect(await reportedAgo('servers', 'hostname', 'agent-4')).to.be.greaterThan(3000)
      expect(await reportedAgo('servers', 'hostname', 'agent-5')).to.be.lessThan(60)
      await sandbox.clearFaults()
      await sandbox.tick()
      expect(await reportedAgo('servers', 'hostname', 'agent-4')).to.be.lessThan(60)
    })

    it('refuses a fault naming an unknown agent, listing the real ones', async () => {
      let message = ''
      try {
        await sandbox.fault({kind: 'agent-no-checkin', target: 'agent-99'})
      } catch (error) {
        message = (error as Error).message
      }

      expect(message).to.include('agent-99').and.include('agent-1')
    })
  })

  describe('session lifecycle', () => {
    it('destroys sessions past their expiration_date: the row moves to accounting as "expired"', async () => {
      const [row] = await query<{kasm_id: string}>(sandbox, 'SELECT kasm_id FROM kasms LIMIT 1')
      await query(sandbox, `UPDATE kasms SET expiration_date = ${AGED} WHERE kasm_id = $1`, [row.kasm_id])
      await sandbox.tick()
      expect(await query(sandbox, 'SELECT 1 FROM kasms WHERE kasm_id = $1', [row.kasm_id])).to.have.length(0)
      const [account] = await query(sandbox, 'SELECT destroy_reason, server_hostname, zone_name, usage_hours FROM accounting WHERE kasm_id = $1', [row.kasm_id])
      expect(account.destroy_reason).to.equal('expired')
      expect(account.server_hostname).to.match(/^agent-\d$/)
      expect(account.usage_hours).to.be.a('number').greaterThan(0)
    })

    it('destroy_agent_kasms marks every session of an agent, and the loop removes them', async () => {
      const [agent] = await query<{server_id: string; n: number}>(
        sandbox,
        `SELECT s.server_id, count(*)::int AS n FROM servers s JOIN kasms k USING (server_id) WHERE s.hostname = 'agent-1' GROUP BY s.server_id`,
      )
      const res = await call(sandbox, 'destroy_agent_kasms', {target_server: {server_id: agent.server_id}})
      expect(res.json).to.deep.equal({})
      const marked = await query<{operational_status: string}>(sandbox, 'SELECT operational_status FROM kasms WHERE server_id = $1', [agent.server_id])
      // The daemon's own loop may already have removed some of them.
      expect(marked.every((k) => k.operational_status === 'admin_delete_pending')).to.equal(true)
      await sandbox.tick()
      expect(await query(sandbox, 'SELECT 1 FROM kasms WHERE server_id = $1', [agent.server_id])).to.have.length(0)
      const accounted = await query(sandbox, `SELECT 1 FROM accounting WHERE server_id = $1 AND destroy_reason = 'admin_destroyed'`, [agent.server_id])
      expect(accounted).to.have.length(agent.n)
    })
  })

  describe('web app stop/start (bin/stop, bin/start)', () => {
    const configOf = (name: string) => sandbox.state.webapps.find((w) => w.name === name)!.configPath

    it('stop closes the listener (connection refused) and the manager stops checking in; start brings both back', async () => {
      await sandbox.stopWebapp('webapp-2')
      const refused = await request(`${webappUrl(sandbox, 'webapp-2')}/api/__healthcheck`).catch((error: NodeJS.ErrnoException) => error.code)
      expect(refused).to.equal('ECONNREFUSED')
      await query(sandbox, `UPDATE managers SET last_reported = ${AGED}`)
      await sandbox.tick()
      expect(await reportedAgo('managers', 'manager_hostname', 'webapp-2')).to.be.greaterThan(3000)
      expect(await reportedAgo('managers', 'manager_hostname', 'webapp-1')).to.be.lessThan(60)
      await sandbox.startWebapp('webapp-2')
      expect((await request(`${webappUrl(sandbox, 'webapp-2')}/api/__healthcheck`)).status).to.equal(200)
      expect(await reportedAgo('managers', 'manager_hostname', 'webapp-2')).to.be.lessThan(60)
    })

    it('with every web app stopped nothing writes to the database (check-ins and expiry are the managers\' work), until one starts again', async () => {
      const [row] = await query<{kasm_id: string}>(sandbox, 'SELECT kasm_id FROM kasms LIMIT 1')
      await query(sandbox, `UPDATE kasms SET expiration_date = ${AGED} WHERE kasm_id = $1`, [row.kasm_id])
      await query(sandbox, `UPDATE servers SET last_reported = ${AGED}`)
      await sandbox.stopWebapp('webapp-1')
      await sandbox.stopWebapp('webapp-2')
      try {
        await sandbox.tick()
        expect(await query(sandbox, 'SELECT 1 FROM kasms WHERE kasm_id = $1', [row.kasm_id])).to.have.length(1)
        expect(await reportedAgo('servers', 'hostname', 'agent-1')).to.be.greaterThan(3000)
      } finally {
        await sandbox.startWebapp('webapp-1')
      }

      try {
        await sandbox.tick()
        expect(await query(sandbox, 'SELECT 1 FROM kasms WHERE kasm_id = $1', [row.kasm_id])).to.have.length(0)
        expect(await reportedAgo('servers', 'hostname', 'agent-1')).to.be.lessThan(60)
      } finally {
        // Both running again, as the next test expects: a web app started by the next reset checks in late.
        await sandbox.startWebapp('webapp-2')
      }
    })

    it('start re-reads server.zone_name: the manager moves zone and sessions are placed there first', async () => {
      const path = configOf('webapp-2')
      await writeFile(path, (await readFile(path, 'utf8')).replace(/zone_name: default/, 'zone_name: east'))
      await sandbox.stopWebapp('webapp-2')
      await sandbox.startWebapp('webapp-2')
      const [manager] = await query(sandbox, `SELECT z.zone_name FROM managers m JOIN zones z USING (zone_id) WHERE m.manager_hostname = 'webapp-2'`)
      expect(manager.zone_name).to.equal('east')
      const [image] = await query<{image_id: string}>(sandbox, `SELECT image_id FROM images WHERE friendly_name = 'Chrome'`)
      const [user] = await query<{user_id: string}>(sandbox, `SELECT user_id FROM users WHERE username = 'user2@kasm.local'`)
      const res = await call(sandbox, 'request_kasm', {image_id: image.image_id, user_id: user.user_id}, {base: webappUrl(sandbox, 'webapp-2')})
      const [placed] = await query(sandbox, `SELECT z.zone_name FROM kasms k JOIN servers s USING (server_id) JOIN zones z ON z.zone_id = s.zone_id WHERE k.kasm_id = $1`, [
        res.json.kasm_id,
      ])
      expect(placed.zone_name).to.equal('east')
    })

    it('registers an unknown zone_name as a new zone with default settings (a typo makes a stray zone)', async () => {
      const path = configOf('webapp-1')
      await writeFile(path, (await readFile(path, 'utf8')).replace(/zone_name: default/, 'zone_name: defualt'))
      await sandbox.stopWebapp('webapp-1')
      await sandbox.startWebapp('webapp-1')
      const [zone] = await query(sandbox, `SELECT load_strategy, search_alternate_zones, proxy_port FROM zones WHERE zone_name = 'defualt'`)
      expect(zone).to.deep.equal({load_strategy: 'least_load', proxy_port: 443, search_alternate_zones: true})
      const [manager] = await query(sandbox, `SELECT z.zone_name FROM managers m JOIN zones z USING (zone_id) WHERE m.manager_hostname = 'webapp-1'`)
      expect(manager.zone_name).to.equal('defualt')
      const zones = await call(sandbox, 'get_zones', {brief: true})
      expect(zones.json.zones.map((z: {zone_name: string}) => z.zone_name)).to.deep.equal(['default', 'defualt', 'east', 'enclave'])
    })
  })
})
