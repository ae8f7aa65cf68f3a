import {expect} from 'chai'

import type {KasmClient} from '../../../src/lib/kasm/client.js'
import {detectKasmVersion, KASM_RELEASES, KASM_VERSIONS, type KasmVersion} from '../../../src/lib/kasm/version.js'
import {AGENTS, IMAGES} from '../../../src/lib/sandbox/seed.js'
import {ZONE_SETTINGS} from '../../../src/lib/zones/settings.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {call, query} from '../sandbox/simulator/raw.js'

/** The RDP zone fields each release has (kasm-verified.md §1), besides the 10 classic ones (zone_name and 9 settings). */
const RDP_FIELDS: Record<KasmVersion, string[]> = {
  '1.15': [],
  '1.16': ['proxy_rdp_client_connections'],
  '1.19': ['enable_rdp_direct_login', 'enable_rdp_https_gw', 'enable_rdp_https_gw_dlp', 'proxy_rdp_client_connections', 'proxy_rdp_hostname', 'proxy_rdp_port', 'verify_rdp_client_ip'],
}
const RDP_VALUES = {
  enable_rdp_direct_login: true,
  enable_rdp_https_gw: false,
  enable_rdp_https_gw_dlp: true,
  proxy_rdp_client_connections: false,
  proxy_rdp_hostname: 'rdp.example.com',
  proxy_rdp_port: 8443,
  verify_rdp_client_ip: true,
}
const COLUMNS_OF_1_19 = ['drain_time', 'gpu_exclusions', 'max_simultaneous_users', 'server_template_id']

// The zone, agent and session contract kasmctl relies on, on every Kasm release the sandbox imitates.
for (const kasmVersion of KASM_VERSIONS) {
  const renamed = kasmVersion === '1.19'
  describe(`Kasm API contract on the ${kasmVersion} sandbox`, () => {
    let sandbox: TestSandbox
    let client: KasmClient

    before(async () => {
      sandbox = await useSandbox({kasmVersion})
      await sandbox.reset()
      client = await sandbox.client()
    })

    after(async () => {
      client.close()
      await sandbox.reset()
    })

    describe('zones', () => {
      afterEach(() => sandbox.reset())

      it(`get_zones returns zone_name, the 9 classic settings and ${RDP_FIELDS[kasmVersion].length} of the 7 RDP fields`, async () => {
        const {json} = await call(sandbox, 'get_zones', {brief: true})
        const zone = json.zones[0] as Record<string, unknown>
        const settings = ZONE_SETTINGS.map((spec) => spec.field).filter((field) => field in zone)
        expect(zone).to.have.property('zone_name')
        expect(settings.filter((field) => !ZONE_SETTINGS.find((spec) => spec.field === field)!.since)).to.have.length(9)
        expect(settings.filter((field) => field in RDP_VALUES).sort()).to.deep.equal(RDP_FIELDS[kasmVersion])
      })

      it('update_zone accepts every RDP field, stores those the release has and drops the rest without an error', async () => {
        const [east] = (await client.getZones({brief: true})).filter((zone) => zone.zone_name === 'east')
        const updated = await client.updateZone(east.zone_id, {...RDP_VALUES, search_alternate_zones: false})
        const expected = Object.fromEntries(RDP_FIELDS[kasmVersion].map((field) => [field, RDP_VALUES[field as keyof typeof RDP_VALUES]]))
        expect(updated).to.include({search_alternate_zones: false, ...expected})
        const [again] = (await client.getZones({brief: true})).filter((zone) => zone.zone_name === 'east')
        for (const field of Object.keys(RDP_VALUES)) expect(field in again, field).to.equal(RDP_FIELDS[kasmVersion].includes(field))
      })

      it('create_zone with RDP fields creates the zone with the fields the release has', async () => {
        const created = await client.createZone({...RDP_VALUES, load_strategy: 'most_load', zone_name: 'west'})
        expect(created).to.include({load_strategy: 'most_load', zone_name: 'west'})
        expect(Object.keys(created).filter((field) => field in RDP_VALUES).sort()).to.deep.equal(RDP_FIELDS[kasmVersion])
      })
    })

    describe('servers (agents)', () => {
      afterEach(() => sandbox.reset())

      it(`names memory ${renamed ? 'memory_bytes' : 'memory'}; the client reads bytes either way`, async () => {
        const {json} = await call(sandbox, 'get_servers')
        const raw = (json.servers as Array<Record<string, unknown>>).find((server) => server.hostname === 'agent-4')!
        expect(raw).to.have.property(renamed ? 'memory_bytes' : 'memory')
        expect(raw).to.not.have.property(renamed ? 'memory' : 'memory_bytes')
        const agent4 = (await client.getServers()).find((server) => server.hostname === 'agent-4')!
        const seeded = AGENTS.find((agent) => agent.hostname === 'agent-4')!
        expect(agent4).to.include({memory: seeded.memory, memory_override: 'memoryOverride' in seeded ? seeded.memoryOverride : 0})
        expect(agent4.agent_version).to.equal(KASM_RELEASES[kasmVersion])
      })

      it(`${renamed ? 'returns' : 'has no'} the server columns 1.19 added, and ${renamed ? 'stores' : 'drops'} max_simultaneous_users on update`, async () => {
        const agent1 = (await client.getServers()).find((server) => server.hostname === 'agent-1')!
        for (const column of COLUMNS_OF_1_19) expect(column in agent1, column).to.equal(renamed)
        const updated = await client.updateServer(agent1.server_id, 'host', {cores_override: 6, max_simultaneous_users: 3, memory_override: 12e9})
        expect(updated).to.include({cores_override: 6, memory_override: 12e9})
        expect(updated.max_simultaneous_users).to.equal(renamed ? 3 : undefined)
      })
    })

    describe('sessions', () => {
      afterEach(() => sandbox.reset())

      it(`lists sessions with memory as ${renamed ? 'memory_bytes' : 'memory'}, read as bytes`, async () => {
        const {json} = await call(sandbox, 'get_kasms')
        expect(json.kasms[0]).to.have.property(renamed ? 'memory_bytes' : 'memory')
        const {kasms} = await client.getKasms()
        const sizes = new Set<number>(IMAGES.map((image) => image.memory))
        expect(kasms.length).to.be.greaterThan(0)
        for (const kasm of kasms) expect(sizes.has(kasm.memory!), String(kasm.memory)).to.equal(true)
      })

      it('requests a session on an agent and destroys it with its owner\'s user_id', async () => {
        const [image] = await query<{image_id: string}>(sandbox, 'SELECT image_id::text FROM images WHERE NOT restrict_to_zone ORDER BY cores, memory_bytes LIMIT 1')
        const [user] = await query<{user_id: string}>(sandbox, 'SELECT user_id::text FROM users ORDER BY username LIMIT 1')
        const {kasm_id: kasmId} = await client.requestKasm({image_id: image.image_id, user_id: user.user_id})
        const kasm = await client.getKasm(kasmId)
        expect(kasm.server_id).to.be.a('string')
        expect(kasm.memory).to.be.greaterThan(0)
        await client.destroyKasm(kasmId, user.user_id)
        expect(await query(sandbox, 'SELECT 1 FROM kasms WHERE kasm_id = $1', [kasmId])).to.have.length(0)
      })
    })

    describe('version detection', () => {
      const fromDatabase = kasmVersion !== '1.15'
      // A fresh client each time: detection is memoised per client.
      const detect = async (context: TestSandbox['context']) => {
        const fresh = await sandbox.client()
        try {
          return await detectKasmVersion(fresh, context)
        } finally {
          fresh.close()
        }
      }

      it(`tells ${kasmVersion} from the database${fromDatabase ? '' : ' (its revision is undocumented: by the API\'s shape)'}`, async () => {
        const detected = await detect(sandbox.context)
        expect(detected).to.include({source: fromDatabase ? 'database' : 'api', version: kasmVersion, warning: null})
        const [{version_num: revision}] = await query<{version_num: string}>(sandbox, 'SELECT version_num FROM alembic_version')
        expect(detected.alembicRevision).to.equal(revision)
      })

      it(`tells ${kasmVersion} from the API's shape alone, without database access`, async () => {
        const {database: _, ...apiOnly} = sandbox.context
        const detected = await detect(apiOnly)
        expect(detected).to.include({alembicRevision: null, source: 'api', version: kasmVersion, warning: null})
      })
    })
  })
}
