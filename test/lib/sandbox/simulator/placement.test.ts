import {expect} from 'chai'

import {NO_RESOURCES} from '../../../../src/lib/sandbox/simulator/api/sessions.js'
import {type AgentLoad, chooseAgent} from '../../../../src/lib/sandbox/simulator/placement.js'
import {type TestSandbox, useSandbox} from '../../../helpers/sandbox.js'
import {call, query} from './raw.js'

const GB = 1e9

function agent(hostname: string, fields: Partial<AgentLoad> = {}): AgentLoad {
  return {autoscaled: false, hostname, maxCores: 8, maxMemory: 16 * GB, serverId: hostname, sessions: 0, usedCores: 0, usedMemory: 0, zoneId: 'z', ...fields}
}

describe('Kasm API simulator: session placement', () => {
  describe('chooseAgent (each load strategy)', () => {
    // a: one big session (half its cores); b: three small ones (a quarter of its cores).
    const agents = [
      agent('a', {sessions: 1, usedCores: 4, usedMemory: 4 * GB}),
      agent('b', {maxCores: 16, maxMemory: 32 * GB, sessions: 3, usedCores: 4, usedMemory: 4 * GB}),
    ]
    const need = {cores: 2, memory: 2 * GB}

    it('least_load picks the agent with the smallest share of CPU/memory used', () => {
      expect(chooseAgent(agents, need, 'least_load', true)?.hostname).to.equal('b')
    })

    it('most_load picks the fullest agent that still fits', () => {
      expect(chooseAgent(agents, need, 'most_load', true)?.hostname).to.equal('a')
      expect(chooseAgent(agents, {cores: 6, memory: GB}, 'most_load', true)?.hostname).to.equal('b')
    })

    it('least_kasms / most_kasms count sessions (HELM spellings fewest_sessions / most_sessions too)', () => {
      expect(chooseAgent(agents, need, 'least_kasms', true)?.hostname).to.equal('a')
      expect(chooseAgent(agents, need, 'fewest_sessions', true)?.hostname).to.equal('a')
      expect(chooseAgent(agents, need, 'most_kasms', true)?.hostname).to.equal('b')
      expect(chooseAgent(agents, need, 'most_sessions', true)?.hostname).to.equal('b')
    })

    it('puts static agents before autoscaled ones when the zone prioritises them', () => {
      const mixed = [agent('auto', {autoscaled: true}), agent('static', {sessions: 5, usedCores: 6})]
      expect(chooseAgent(mixed, need, 'least_load', true)?.hostname).to.equal('static')
      expect(chooseAgent(mixed, need, 'least_load', false)?.hostname).to.equal('auto')
    })

    it('returns nothing when no agent has the free cores and memory', () => {
      expect(chooseAgent(agents, {cores: 13, memory: GB}, 'least_load', true)).to.equal(undefined)
      expect(chooseAgent(agents, {cores: 1, memory: 40 * GB}, 'least_load', true)).to.equal(undefined)
    })
  })

  describe('request_kasm against the sandbox (web apps are in zone default)', () => {
    let sandbox: TestSandbox
    let imageIds: Record<string, string>
    let userId: string

    before(async () => {
      sandbox = await useSandbox()
    })

    /** No sessions anywhere, then the given ones: hostname → image friendly names. */
    async function arrange(sessions: Record<string, string[]>): Promise<void> {
      await query(sandbox, 'DELETE FROM kasms')
      for (const [hostname, images] of Object.entries(sessions)) {
        for (const friendly of images) {
          await query(
            sandbox,
            `INSERT INTO kasms (user_id, image_id, server_id, created_date, start_date, keepalive_date, expiration_date, cores, memory_bytes)
             SELECT $1, i.image_id, s.server_id, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc',
                    (now() AT TIME ZONE 'utc') + interval '1 hour', i.cores, i.memory_bytes
               FROM images i, servers s WHERE i.friendly_name = $2 AND s.hostname = $3`,
            [userId, friendly, hostname],
          )
        }
      }
    }

    async function strategy(zone: string, fields: Record<string, unknown>): Promise<void> {
      const [row] = await query<{zone_id: string}>(sandbox, 'SELECT zone_id FROM zones WHERE zone_name = $1', [zone])
      const res = await call(sandbox, 'update_zone', {target_zone: {...fields, zone_id: row.zone_id}})
      expect(res.json).to.have.property('zone')
    }

    /** Requests a Chrome session through webapp-1 and returns the hostname of the agent it landed on. */
    async function place(image = 'Chrome'): Promise<string> {
      const res = await call(sandbox, 'request_kasm', {image_id: imageIds[image], user_id: userId})
      if (res.json.error_message) return `error: ${res.json.error_message}`
      expect(res.json.kasm_id).to.match(/^[\da-f]{32}$/)
      expect(res.json.kasm_url).to.include(res.json.kasm_id)
      const [row] = await query<{hostname: string}>(sandbox, 'SELECT s.hostname FROM kasms k JOIN servers s USING (server_id) WHERE k.kasm_id = $1', [res.json.kasm_id])
      return row.hostname
    }

    beforeEach(async () => {
      await sandbox.reset()
      const images = await query<{friendly_name: string; image_id: string}>(sandbox, 'SELECT friendly_name, image_id FROM images')
      imageIds = Object.fromEntries(images.map((i) => [i.friendly_name, i.image_id]))
      const [user] = await query<{user_id: string}>(sandbox, `SELECT user_id FROM users WHERE username = 'user1@kasm.local'`)
      userId = user.user_id
      // agent-1 (12 cores): one Ubuntu session, a third of its cores. agent-2 (24 cores by override): two Chrome, a sixth.
      await arrange({'agent-1': ['Ubuntu Desktop'], 'agent-2': ['Chrome', 'Chrome']})
      await query(sandbox, `UPDATE servers SET enabled = false WHERE hostname = 'agent-3'`)
    })

    const expected: Record<string, string> = {least_kasms: 'agent-1', least_load: 'agent-2', most_kasms: 'agent-2', most_load: 'agent-1'}
    for (const [name, hostname] of Object.entries(expected)) {
      it(`places by ${name} in the web app's zone`, async () => {
        await strategy('default', {load_strategy: name})
        expect(await place()).to.equal(hostname)
      })
    }

    it('never uses a disabled agent, even the one the strategy prefers', async () => {
      await strategy('default', {load_strategy: 'most_load'})
      await query(sandbox, `UPDATE servers SET enabled = false WHERE hostname = 'agent-1'`)
      expect(await place()).to.equal('agent-2')
    })

    it('never uses an agent that stopped checking in', async () => {
      await strategy('default', {load_strategy: 'most_load'})
      await sandbox.fault({kind: 'agent-no-checkin', target: 'agent-1'})
      await query(sandbox, `UPDATE servers SET last_reported = (now() AT TIME ZONE 'utc') - interval '10 minutes' WHERE hostname = 'agent-1'`)
      await sandbox.tick()
      expect(await place()).to.equal('agent-2')
    })

    it('counts the cores override as the capacity', async () => {
      await strategy('default', {load_strategy: 'most_load'})
      // agent-1 has 12 cores and 4 used; an override of 5 leaves 1, too few for Chrome (2).
      await query(sandbox, `UPDATE servers SET cores_override = 5 WHERE hostname = 'agent-1'`)
      expect(await place()).to.equal('agent-2')
    })

    it('falls back to another zone only when search_alternate_zones is true', async () => {
      await query(sandbox, `UPDATE servers SET enabled = false WHERE hostname IN ('agent-1', 'agent-2')`)
      await strategy('default', {search_alternate_zones: false})
      expect(await place()).to.equal(`error: ${NO_RESOURCES}`)
      await strategy('default', {search_alternate_zones: true})
      expect(await place()).to.match(/^agent-[456]$/)
    })

    it('answers "No resources are available..." (HTTP 200) when nothing fits anywhere', async () => {
      await query(sandbox, `UPDATE servers SET enabled = false WHERE server_type = 'host'`)
      const res = await call(sandbox, 'request_kasm', {image_id: imageIds.Chrome, user_id: userId})
      expect(res.status).to.equal(200)
      expect(res.json).to.deep.equal({error_message: NO_RESOURCES})
    })
  })
})
