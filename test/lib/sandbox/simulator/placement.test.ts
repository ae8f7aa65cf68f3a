import {expect} from 'chai'

import {NO_RESOURCES} from '../../../../src/lib/sandbox/simulator/api/sessions.js'
import {type TestSandbox, useSandbox} from '../../../helpers/sandbox.js'
import {call, query} from './raw.js'

// The load strategies themselves are specified in test/lib/capacity/capacity.test.ts; the simulator
// uses the same chooseAgent. The cases here are computed by hand from the seed, so that a mistake
// shared by kasmctl's model and the simulator would still show.
describe('Kasm API simulator: session placement', () => {
  describe('request_kasm against the sandbox (web apps are in zone default)', () => {
    let sandbox: TestSandbox
    let imageIds: Record<string, string>
    let userId: string

    before(async () => {
      sandbox = await useSandbox()
    })

    /** No sessions anywhere, then the given ones: hostname → image friendly names ("Chrome:paused" for another state). */
    async function arrange(sessions: Record<string, string[]>): Promise<void> {
      await query(sandbox, 'DELETE FROM kasms')
      for (const [hostname, images] of Object.entries(sessions)) {
        for (const entry of images) {
          const [friendly, status = 'running'] = entry.split(':')
          await query(
            sandbox,
            `INSERT INTO kasms (user_id, image_id, server_id, operational_status, created_date, start_date, keepalive_date, expiration_date, cores, memory_bytes, gpus)
             SELECT $1, i.image_id, s.server_id, $4, now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc', now() AT TIME ZONE 'utc',
                    (now() AT TIME ZONE 'utc') + interval '1 hour', i.cores, i.memory_bytes, i.gpus
               FROM images i, servers s WHERE i.friendly_name = $2 AND s.hostname = $3`,
            [userId, friendly, hostname, status],
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

    describe('Kasm\'s per-agent rule (kasm-verified.md §1)', () => {
      /** Zone default with only these agents enabled, each with `cores` detected cores and no override. */
      async function onlyAgents(cores: Record<string, number>): Promise<void> {
        await query(sandbox, `UPDATE servers SET enabled = false WHERE server_type = 'host'`)
        for (const [hostname, count] of Object.entries(cores)) {
          await query(sandbox, 'UPDATE servers SET enabled = true, cores = $2, cores_override = 0 WHERE hostname = $1', [hostname, count])
        }
      }

      it('a fragmented zone: three agents with 3 free cores each (9 in all) have no room for a 4-core image', async () => {
        await onlyAgents({'agent-1': 4, 'agent-2': 4, 'agent-3': 4})
        await query(sandbox, `UPDATE images SET cores = 1 WHERE friendly_name = 'Firefox'`)
        await arrange({'agent-1': ['Firefox'], 'agent-2': ['Firefox'], 'agent-3': ['Firefox']})
        const zones = await call(sandbox, 'get_zones', {brief: true})
        expect(zones.json.zones.find((z: {zone_name: string}) => z.zone_name === 'default').available_cores).to.equal(9)
        const res = await call(sandbox, 'request_kasm', {image_id: imageIds['Ubuntu Desktop'], user_id: userId})
        expect(res.status).to.equal(200)
        expect(res.json).to.deep.equal({error_message: NO_RESOURCES})
        expect(await place('Firefox')).to.match(/^agent-[123]$/)
      })

      it('paused and stopped sessions hold no resources; starting, pausing, stopping and deleting ones do', async () => {
        await onlyAgents({'agent-3': 4})
        await arrange({'agent-3': ['Ubuntu Desktop:paused', 'Ubuntu Desktop:stopped']})
        expect(await place('Ubuntu Desktop')).to.equal('agent-3')
        for (const state of ['starting', 'pausing', 'stopping']) {
          await arrange({'agent-3': [`Chrome:${state}`]})
          expect(await place('Ubuntu Desktop'), state).to.equal(`error: ${NO_RESOURCES}`)
        }

        // The live loop removes deleting sessions at its next tick (every 2 s). A key-share lock on the
        // row holds that DELETE back, as an agent still removing the container would, while the state
        // itself can still change: without it the session could be gone before request_kasm runs.
        await arrange({'agent-3': ['Chrome:running']})
        const agent = await sandbox.db()
        try {
          await agent.query('BEGIN')
          await agent.query('SELECT kasm_id FROM kasms FOR KEY SHARE')
          await query(sandbox, `UPDATE kasms SET operational_status = 'deleting'`)
          expect(await place('Ubuntu Desktop'), 'deleting').to.equal(`error: ${NO_RESOURCES}`)
          const [held] = await query<{operational_status: string}>(sandbox, 'SELECT operational_status FROM kasms')
          expect(held.operational_status).to.equal('deleting')
        } finally {
          await agent.query('ROLLBACK')
          await agent.end()
        }
      })

      it('never gives an image more cores than the agent physically has, whatever its override', async () => {
        await onlyAgents({'agent-3': 4})
        await arrange({})
        await query(sandbox, `UPDATE servers SET cores_override = 16 WHERE hostname = 'agent-3'`)
        await query(sandbox, `UPDATE images SET cores = 6 WHERE friendly_name = 'Ubuntu Desktop'`)
        expect(await place('Ubuntu Desktop')).to.equal(`error: ${NO_RESOURCES}`)
        // Smaller sessions still count against the override: three 2-core Chromes (6 cores) on 4 physical cores.
        expect(await place('Chrome')).to.equal('agent-3')
        expect(await place('Chrome')).to.equal('agent-3')
        expect(await place('Chrome')).to.equal('agent-3')
      })

      it('needs the image\'s gpus free on the agent (detected GPUs, or the override)', async () => {
        await onlyAgents({'agent-1': 12, 'agent-2': 16})
        await arrange({})
        await query(sandbox, `UPDATE images SET gpus = 1 WHERE friendly_name = 'Chrome'`)
        expect(await place('Chrome')).to.equal(`error: ${NO_RESOURCES}`)
        await query(sandbox, `UPDATE servers SET docker_info = '{"GPUs": 1}' WHERE hostname = 'agent-2'`)
        expect(await place('Chrome')).to.equal('agent-2')
        expect(await place('Chrome')).to.equal(`error: ${NO_RESOURCES}`)
        await query(sandbox, `UPDATE servers SET gpus_override = 2 WHERE hostname = 'agent-2'`)
        expect(await place('Chrome')).to.equal('agent-2')
      })

      it('get_zones subtracts running, saving and starting sessions from available_*, not paused or pausing ones', async () => {
        await onlyAgents({'agent-3': 4})
        await query(sandbox, `UPDATE images SET cores = 1, memory_bytes = 1000000000`)
        await arrange({'agent-3': ['Chrome:running', 'Chrome:saving', 'Chrome:starting', 'Chrome:paused', 'Firefox:pausing']})
        const zones = await call(sandbox, 'get_zones', {brief: true})
        const zone = zones.json.zones.find((z: {zone_name: string}) => z.zone_name === 'default')
        // agent-3: 4 cores and 8 GiB; three sessions of 1 core / 1 GB count.
        expect(zone).to.include({available_cores: 1, available_memory: 8 * 1024 ** 3 - 3_000_000_000})
      })
    })
  })
})
