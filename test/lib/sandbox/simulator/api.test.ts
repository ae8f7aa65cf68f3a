import {expect} from 'chai'

import {decryptSetting} from '../../../../src/lib/sandbox/kasm-crypto.js'
import {type TestSandbox, useSandbox} from '../../../helpers/sandbox.js'
import {call, credentials, query, request, seedIds, webappUrl} from './raw.js'

const HEX32 = /^[\da-f]{32}$/
const KASM_DATE = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/
const UNHANDLED = '<html><body>An unhandled exception occurred check logs for details<body><html>'

describe('Kasm API simulator: the web app HTTP surface', () => {
  let sandbox: TestSandbox

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  describe('routes and framework pages', () => {
    it('answers GET /api/__healthcheck with exactly {"ok": true} (12 bytes)', async () => {
      const res = await request(`${webappUrl(sandbox)}/api/__healthcheck`)
      expect(res.status).to.equal(200)
      expect(res.text).to.equal('{"ok": true}')
      expect(Buffer.byteLength(res.text)).to.equal(12)
      expect(res.contentType).to.match(/application\/json/)
    })

    it('serves every method at both /api/public/ and /api/admin/', async () => {
      const [pub, admin] = await Promise.all([call(sandbox, 'get_zones'), call(sandbox, 'get_zones', {}, {mount: 'admin'})])
      expect(pub.status).to.equal(200)
      expect(admin.status).to.equal(200)
      expect(admin.json.zones.map((z: {zone_name: string}) => z.zone_name)).to.deep.equal(pub.json.zones.map((z: {zone_name: string}) => z.zone_name))
    })

    it('answers unknown routes and methods with the plain-text 404 page', async () => {
      for (const path of ['/nope', '/api/public/no_such_method', '/api/admin/']) {
        const res = await request(`${webappUrl(sandbox)}${path}`, {body: '{}', method: 'POST'})
        expect(res.status, path).to.equal(404)
        expect(res.text).to.equal('An error has occurred 404 - see logs for details')
        expect(res.json).to.equal(undefined)
      }
    })

    it('answers malformed JSON with a 400 text page and a non-JSON content type with 415', async () => {
      const bad = await request(`${webappUrl(sandbox)}/api/public/get_zones`, {body: '{"api_key": ', headers: {'Content-Type': 'application/json'}, method: 'POST'})
      expect(bad.status).to.equal(400)
      expect(bad.text).to.equal('An error has occurred 400 - see logs for details')
      const form = await request(`${webappUrl(sandbox)}/api/public/get_zones`, {body: 'a=b', headers: {'Content-Type': 'application/x-www-form-urlencoded'}, method: 'POST'})
      expect(form.status).to.equal(415)
    })
  })

  describe('authentication (kasm-api.md §2a)', () => {
    for (const auth of ['body', 'basic', 'headers'] as const) {
      it(`accepts the API key in the ${auth}`, async () => {
        const res = await call(sandbox, 'get_zones', {}, {auth})
        expect(res.status).to.equal(200)
        expect(res.json.zones).to.have.length.greaterThan(0)
      })
    }

    for (const auth of ['body', 'basic', 'headers'] as const) {
      it(`refuses a wrong secret in the ${auth} with 403 "Access Denied"`, async () => {
        const res = await call(sandbox, 'get_zones', {}, {auth, secret: 'not-the-secret'})
        expect(res.status).to.equal(403)
        expect(res.json).to.deep.equal({error_message: 'Access Denied'})
      })
    }

    it('refuses an unknown key with 403 and no credentials at all with 400 "Invalid Request"', async () => {
      const unknown = await request(`${webappUrl(sandbox)}/api/public/get_zones`, {
        body: JSON.stringify({api_key: 'nosuchkey000', api_key_secret: 'x'}),
        headers: {'Content-Type': 'application/json'},
        method: 'POST',
      })
      expect(unknown.status).to.equal(403)
      expect(unknown.json).to.deep.equal({error_message: 'Access Denied'})
      const none = await call(sandbox, 'get_zones', {}, {auth: 'none'})
      expect(none.status).to.equal(400)
      expect(none.json).to.deep.equal({error_message: 'Invalid Request'})
    })

    it('refuses a read-only key on a write with 401 "Unauthorized" but lets it read', async () => {
      const write = await call(sandbox, 'create_zone', {target_zone: {zone_name: 'ro-zone'}}, {key: 'readonly'})
      expect(write.status).to.equal(401)
      expect(write.json).to.deep.equal({error_message: 'Unauthorized'})
      const read = await call(sandbox, 'get_servers', {}, {key: 'readonly'})
      expect(read.status).to.equal(200)
      expect(await query(sandbox, `SELECT 1 FROM zones WHERE zone_name = 'ro-zone'`)).to.have.length(0)
    })

    it('refuses a key that lacks the permission with 401 "Unauthorized"', async () => {
      const allowed = await call(sandbox, 'get_zones', {}, {key: 'limited'})
      expect(allowed.status).to.equal(200)
      for (const method of ['get_servers', 'get_kasms', 'get_settings', 'get_managers', 'update_zone']) {
        const res = await call(sandbox, method, {}, {key: 'limited'})
        expect(res.status, method).to.equal(401)
        expect(res.json).to.deep.equal({error_message: 'Unauthorized'})
      }
    })

    it('records each use of a key in api_configs.last_used', async () => {
      const {key} = await credentials(sandbox, 'readonly')
      await query(sandbox, 'UPDATE api_configs SET last_used = NULL WHERE api_key = $1', [key])
      await call(sandbox, 'get_zones', {}, {key: 'readonly'})
      await new Promise((resolve) => {
        setTimeout(resolve, 200)
      })
      const [row] = await query<{last_used: Date | null}>(sandbox, 'SELECT last_used FROM api_configs WHERE api_key = $1', [key])
      expect(row.last_used).to.not.equal(null)
    })

    describe('with a key changed in the database', () => {
      afterEach(() => sandbox.reset())

      it('answers an expired key with 401 "Access has expired"', async () => {
        const {key} = await credentials(sandbox, 'limited')
        await query(sandbox, `UPDATE api_configs SET expires = (now() AT TIME ZONE 'utc') - interval '1 day' WHERE api_key = $1`, [key])
        const res = await call(sandbox, 'get_zones', {}, {key: 'limited'})
        expect(res.status).to.equal(401)
        expect(res.json).to.deep.equal({error_message: 'Access has expired'})
      })

      it('answers a disabled key with 403 "Access Denied"', async () => {
        const {key} = await credentials(sandbox, 'limited')
        await query(sandbox, 'UPDATE api_configs SET enabled = false WHERE api_key = $1', [key])
        const res = await call(sandbox, 'get_zones', {}, {key: 'limited'})
        expect(res.status).to.equal(403)
      })

      it('refuses user_id without USERS_AUTH_SESSION (352): "not authorized to impersonate a user"', async () => {
        const {key} = await credentials(sandbox, 'limited')
        await query(sandbox, 'INSERT INTO group_permissions (api_id, permission_id) SELECT api_id, 100 FROM api_configs WHERE api_key = $1', [key])
        const [image] = await query<{image_id: string}>(sandbox, 'SELECT image_id FROM images LIMIT 1')
        const [user] = await query<{user_id: string}>(sandbox, `SELECT user_id FROM users WHERE username = 'user1@kasm.local'`)
        const res = await call(sandbox, 'request_kasm', {image_id: image.image_id, user_id: user.user_id}, {key: 'limited'})
        expect(res.status).to.equal(401)
        expect(res.json).to.deep.equal({error_message: 'API Key (kasmctl-sandbox-limited) is not authorized to impersonate a user.'})
      })

      it('shows a key with only AGENTS_VIEW (500) the agents but not the Desktop servers', async () => {
        const {key} = await credentials(sandbox, 'limited')
        await query(
          sandbox,
          `UPDATE group_permissions SET permission_id = 500 WHERE api_id = (SELECT api_id FROM api_configs WHERE api_key = $1)`,
          [key],
        )
        const res = await call(sandbox, 'get_servers', {}, {key: 'limited'})
        expect(res.status).to.equal(200)
        const types = new Set(res.json.servers.map((s: {server_type: string}) => s.server_type))
        expect([...types]).to.deep.equal(['host'])
      })
    })
  })

  describe('zones', () => {
    afterEach(() => sandbox.reset())

    it('lists zones with 32-hex ids, managers, servers, session counts and free capacity', async () => {
      const res = await call(sandbox, 'get_zones')
      const zones = res.json.zones as Array<Record<string, unknown>>
      expect(zones.map((z) => z.zone_name)).to.deep.equal(['default', 'east', 'enclave'])
      const def = zones[0]
      expect(def.zone_id).to.match(HEX32)
      expect((def.managers as Array<{manager_hostname: string}>).map((m) => m.manager_hostname)).to.deep.equal(['webapp-1', 'webapp-2'])
      expect((def.servers as Array<{hostname: string}>).map((s) => s.hostname)).to.include.members(['agent-1', 'agent-2', 'agent-3', 'rdp-1', 'rdp-2'])
      const [{count}] = await query<{count: number}>(
        sandbox, `SELECT count(*)::int AS count FROM kasms k JOIN servers s USING (server_id) JOIN zones z ON z.zone_id = s.zone_id WHERE z.zone_name = 'default'`,
      )
      expect(def.num_kasms).to.equal(count)
      // Free cores: each enabled agent's capacity (override when set) minus its sessions' cores.
      const [capacity] = await query<{free: number}>(
        sandbox, `SELECT sum(GREATEST(0, CASE WHEN s.cores_override > 0 THEN s.cores_override ELSE s.cores END
                 - COALESCE((SELECT sum(k.cores) FROM kasms k WHERE k.server_id = s.server_id), 0)))::float AS free
           FROM servers s JOIN zones z ON z.zone_id = s.zone_id
          WHERE z.zone_name = 'default' AND s.server_type = 'host' AND s.enabled`,
      )
      expect(def.available_cores).to.equal(capacity.free)
      expect(def).to.include.keys('available_memory', 'available_gpus', 'load_strategy', 'search_alternate_zones', 'primary_manager')
    })

    it('omits servers when brief is true', async () => {
      const res = await call(sandbox, 'get_zones', {brief: true})
      expect(res.json.zones[0]).to.not.have.property('servers')
      expect(res.json.zones[0]).to.have.property('num_kasms')
    })

    it('creates a zone with the §5.1 defaults for omitted fields, and refuses a duplicate name', async () => {
      const res = await call(sandbox, 'create_zone', {target_zone: {load_strategy: 'most_load', zone_name: 'west'}})
      expect(res.status).to.equal(200)
      expect(res.json.zone).to.include({
        allow_origin_domain: '$request_host$',
        load_strategy: 'most_load',
        prioritize_static_agents: true,
        proxy_connections: true,
        proxy_hostname: '$request_host$',
        proxy_path: 'desktop',
        proxy_port: 443,
        search_alternate_zones: true,
        upstream_auth_address: '$request_host$',
        zone_name: 'west',
      })
      expect(res.json.zone.zone_id).to.match(HEX32)
      const again = await call(sandbox, 'create_zone', {target_zone: {zone_name: 'west'}})
      expect(again.status).to.equal(200)
      expect(again.json).to.deep.equal({error_message: 'Zone (west) already exists'})
    })

    it('updates only the fields given (null and omitted mean unchanged), with a dashed zone_id accepted', async () => {
      const seed = await seedIds(sandbox)
      const dashed = seed.zones.east.includes('-') ? seed.zones.east : seed.zones.east.replace(/^(.{8})(.{4})(.{4})(.{4})/, '$1-$2-$3-$4-')
      const res = await call(sandbox, 'update_zone', {target_zone: {proxy_hostname: null, search_alternate_zones: false, zone_id: dashed}})
      expect(res.status).to.equal(200)
      expect(res.json.zone).to.include({load_strategy: 'most_kasms', proxy_hostname: '$request_host$', search_alternate_zones: false, zone_name: 'east'})
      const [row] = await query(sandbox, 'SELECT search_alternate_zones, load_strategy FROM zones WHERE zone_name = $1', ['east'])
      expect(row).to.deep.equal({load_strategy: 'most_kasms', search_alternate_zones: false})
    })

    it('answers update_zone errors with Kasm\'s exact texts (including the "exit" typo)', async () => {
      const notUuid = await call(sandbox, 'update_zone', {target_zone: {zone_id: 'east'}})
      expect(notUuid.json).to.deep.equal({error_message: 'Invalid Request. zone_id must be a uuid'})
      const missing = await call(sandbox, 'update_zone', {target_zone: {zone_id: 'a'.repeat(32), zone_name: 'x'}})
      expect(missing.json).to.deep.equal({error_message: 'Invalid Request. Zone does not exit by that id'})
      const seed = await seedIds(sandbox)
      const wrongType = await call(sandbox, 'update_zone', {target_zone: {proxy_port: 'four', zone_id: seed.zones.east}})
      expect(wrongType.status).to.equal(500)
      expect(wrongType.text).to.equal(UNHANDLED)
    })

    it('refuses to delete a zone in use, by managers first, then by servers, with Kasm\'s texts', async () => {
      const seed = await seedIds(sandbox)
      const hex = (id: string) => id.replaceAll('-', '')
      const byManagers = await call(sandbox, 'delete_zone', {target_zone: {zone_id: seed.zones.default}})
      expect(byManagers.json).to.deep.equal({
        error_message: `Zone (${hex(seed.zones.default)}): (default) is in use by (2) managers and cannot be deleted`,
      })
      const byServers = await call(sandbox, 'delete_zone', {target_zone: {zone_id: seed.zones.enclave}})
      expect(byServers.json).to.deep.equal({
        error_message: `Zone (${hex(seed.zones.enclave)}): (enclave) is in use by (1) servers and cannot be deleted`,
      })
      const unknown = await call(sandbox, 'delete_zone', {target_zone: {zone_id: 'b'.repeat(32)}})
      expect(unknown.json).to.deep.equal({error_message: `Zone (${'b'.repeat(32)}) Does not Exist`})
      const notUuid = await call(sandbox, 'delete_zone', {target_zone: {zone_id: 'enclave'}})
      expect(notUuid.json).to.deep.equal({error_message: 'Invalid Request: manager_id must be a uuid'})
    })

    it('deletes an unused zone and answers {}', async () => {
      const created = await call(sandbox, 'create_zone', {target_zone: {zone_name: 'scratch'}})
      const res = await call(sandbox, 'delete_zone', {target_zone: {zone_id: created.json.zone.zone_id}})
      expect(res.json).to.deep.equal({})
      expect(await query(sandbox, `SELECT 1 FROM zones WHERE zone_name = 'scratch'`)).to.have.length(0)
    })
  })

  describe('servers, managers and connection proxies', () => {
    afterEach(() => sandbox.reset())

    it('lists agents (host) and Desktop servers with 1.19 memory names and session lists', async () => {
      const res = await call(sandbox, 'get_servers')
      const servers = res.json.servers as Array<Record<string, unknown>>
      const agent2 = servers.find((s) => s.hostname === 'agent-2')!
      expect(agent2).to.include({cores: 16, cores_override: 24, enabled: true, server_type: 'host', zone_name: 'default'})
      expect(agent2).to.have.property('memory_bytes')
      expect(agent2).to.have.property('memory_override_bytes')
      expect(agent2).to.not.have.property('memory')
      expect(agent2.server_id).to.match(HEX32)
      expect(agent2.last_reported).to.match(KASM_DATE)
      expect((agent2.core_calculations as {max: number}).max).to.equal(24)
      expect(servers.filter((s) => s.server_type === 'Desktop').map((s) => s.hostname)).to.deep.equal(['rdp-1', 'rdp-2'])
      const sessions = servers.reduce((n, s) => n + (s.kasms as unknown[]).length, 0)
      expect(sessions).to.equal((await query(sandbox, 'SELECT 1 FROM kasms')).length)
    })

    it('returns one server with a registration_jwt (RS256, authorization 70) for target_server', async () => {
      const seed = await seedIds(sandbox)
      const res = await call(sandbox, 'get_servers', {target_server: {server_id: seed.servers['agent-1']}})
      expect(res.json.servers).to.have.length(1)
      const [header, payload] = (res.json.servers[0].registration_jwt as string).split('.').slice(0, 2).map((p) => JSON.parse(Buffer.from(p, 'base64url').toString('utf8') || 'null'))
      expect(header).to.include({alg: 'RS256'})
      expect(payload).to.include({server_id: seed.servers['agent-1'].replaceAll('-', '')})
      expect(payload.authorizations).to.deep.equal([70])
    })

    it('refuses update_server without server_type, or with the wrong one, with 401 "Unauthorized Action"', async () => {
      const seed = await seedIds(sandbox)
      const none = await call(sandbox, 'update_server', {target_server: {enabled: false, server_id: seed.servers['agent-1']}})
      expect(none.status).to.equal(401)
      expect(none.json).to.deep.equal({error_message: 'Unauthorized Action'})
      const wrong = await call(sandbox, 'update_server', {target_server: {enabled: false, server_id: seed.servers['agent-1'], server_type: 'Desktop'}})
      expect(wrong.status).to.equal(401)
      const [row] = await query(sandbox, 'SELECT enabled FROM servers WHERE hostname = $1', ['agent-1'])
      expect(row.enabled).to.equal(true)
    })

    it('updates an agent partially: enabled, overrides (memory_override or memory_override_bytes), zone', async () => {
      const seed = await seedIds(sandbox)
      const id = seed.servers['agent-3']
      const first = await call(sandbox, 'update_server', {target_server: {cores_override: 6, enabled: false, memory_override: 12e9, server_id: id, server_type: 'host'}})
      expect(first.status).to.equal(200)
      expect(first.json.server).to.include({cores: 4, cores_override: 6, enabled: false, memory_override_bytes: 12e9})
      const second = await call(sandbox, 'update_server', {target_server: {memory_override_bytes: 10e9, server_id: id, server_type: 'host', zone_id: seed.zones.east}})
      expect(second.json.server).to.include({cores_override: 6, enabled: false, memory_override_bytes: 10e9, zone_name: 'east'})
      const unknown = await call(sandbox, 'update_server', {target_server: {enabled: true, server_id: 'c'.repeat(32), server_type: 'host'}})
      expect(unknown.json).to.deep.equal({error_message: `Server (${'c'.repeat(32)}) Does not Exist`})
      const badType = await call(sandbox, 'update_server', {target_server: {enabled: 'no', server_id: id, server_type: 'host'}})
      expect(badType.status).to.equal(500)
    })

    it('lists managers with their zone, agents and check-in age', async () => {
      const res = await call(sandbox, 'get_managers')
      const managers = res.json.managers as Array<Record<string, unknown>>
      expect(managers.map((m) => m.manager_hostname)).to.deep.equal(['webapp-1', 'webapp-2'])
      expect(managers[0]).to.include({zone_name: 'default'})
      expect(managers[0].last_reported_seconds).to.be.a('number').lessThan(60)
      expect(managers[0].last_reported_elapsed).to.match(/^\d+:\d{2}:\d{2}$/)
      expect((managers[0].servers as Array<{hostname: string}>).map((s) => s.hostname)).to.deep.equal(['agent-1', 'agent-3', 'agent-5'])
    })

    it('deletes a manager; its web app registers it again when started', async () => {
      const seed = await seedIds(sandbox)
      const id = seed.managers['webapp-2'].replaceAll('-', '')
      expect((await call(sandbox, 'delete_manager', {target_manager: {manager_id: id}})).json).to.deep.equal({})
      expect((await call(sandbox, 'get_managers')).json.managers.map((m: {manager_hostname: string}) => m.manager_hostname)).to.deep.equal(['webapp-1'])
      const again = await call(sandbox, 'delete_manager', {target_manager: {manager_id: id}})
      expect(again.json).to.deep.equal({error_message: `Manager (${id}) Does not Exist`})
      await sandbox.stopWebapp('webapp-2')
      await sandbox.startWebapp('webapp-2')
      const managers = (await call(sandbox, 'get_managers')).json.managers as Array<{manager_hostname: string; manager_id: string; zone_name: string}>
      expect(managers.find((m) => m.manager_hostname === 'webapp-2')).to.include({manager_id: id, zone_name: 'default'})
    })

    it('lists connection proxies with the auth token sanitised', async () => {
      const res = await call(sandbox, 'get_connection_proxies')
      const proxies = res.json.connection_proxies as Array<Record<string, unknown>>
      expect(proxies.map((p) => p.server_address)).to.deep.equal(['guac-1', 'guac-2'])
      expect(proxies[0]).to.include({auth_token: '**********', connection_proxy_type: 'GUAC', zone_name: 'default'})
    })
  })

  describe('sessions', () => {
    afterEach(() => sandbox.reset())

    it('lists sessions with current_time and the admin extras, dates as Kasm strings', async () => {
      const res = await call(sandbox, 'get_kasms')
      expect(res.json.current_time).to.match(KASM_DATE)
      const kasm = res.json.kasms[0]
      expect(kasm.kasm_id).to.match(HEX32)
      expect(kasm.start_date).to.match(KASM_DATE)
      expect(kasm.expiration_date).to.match(KASM_DATE)
      expect(kasm).to.have.property('memory_bytes')
      expect(kasm.user.username).to.match(/@kasm\.local$/)
      expect(kasm.server).to.have.keys('hostname', 'port', 'provider', 'zone_name')
      expect(kasm.server.hostname).to.match(/^agent-\d$/)
      // Container sessions show the zone's proxy hostname; "$request_host$" becomes the host the client asked.
      expect(kasm.hostname).to.equal('127.0.0.1')
      expect(kasm.image).to.include.keys('image_id', 'friendly_name', 'image_type')
      expect(kasm.token).to.equal('')
    })

    it('gets one session by target_kasm.kasm_id', async () => {
      const [row] = await query<{kasm_id: string}>(sandbox, 'SELECT kasm_id FROM kasms LIMIT 1')
      const res = await call(sandbox, 'get_kasm', {target_kasm: {kasm_id: row.kasm_id}})
      expect(res.json.kasm.kasm_id).to.equal(row.kasm_id.replaceAll('-', ''))
      expect(res.json.current_time).to.match(KASM_DATE)
    })

    it('destroys a session with its owner\'s user_id as that user\'s own destroy, moving the row to accounting', async () => {
      const [row] = await query<{kasm_id: string; user_id: string}>(sandbox, 'SELECT kasm_id, user_id FROM kasms LIMIT 1')
      const ok = await call(sandbox, 'destroy_kasm', {kasm_id: row.kasm_id, user_id: row.user_id})
      expect(ok.status).to.equal(200)
      expect(ok.json).to.deep.equal({})
      expect(await query(sandbox, 'SELECT 1 FROM kasms WHERE kasm_id = $1', [row.kasm_id])).to.have.length(0)
      const [account] = await query(sandbox, 'SELECT destroy_reason, user_name, server_hostname, zone_name FROM accounting WHERE kasm_id = $1', [row.kasm_id])
      expect(account.destroy_reason).to.equal('user_destroyed')
      expect(account.user_name).to.match(/@kasm\.local$/)
      const again = await call(sandbox, 'destroy_kasm', {kasm_id: row.kasm_id, user_id: row.user_id})
      expect(again.status).to.equal(400)
      expect(again.json).to.deep.equal({error_message: `Invalid kasm_id (${row.kasm_id})`})
    })

    it('extends a session on keepalive, and answers 400 for a missing or unknown kasm_id', async () => {
      const [row] = await query<{kasm_id: string}>(sandbox, `SELECT kasm_id FROM kasms ORDER BY expiration_date LIMIT 1`)
      const res = await call(sandbox, 'keepalive', {kasm_id: row.kasm_id})
      expect(res.json).to.deep.equal({usage_reached: false})
      const [after] = await query<{left: number}>(
        sandbox, `SELECT extract(epoch FROM expiration_date - (now() AT TIME ZONE 'utc'))::int AS left FROM kasms WHERE kasm_id = $1`,
        [row.kasm_id],
      )
      expect(after.left).to.be.greaterThan(3500)
      expect((await call(sandbox, 'keepalive', {})).status).to.equal(400)
      const unknown = await call(sandbox, 'keepalive', {kasm_id: 'd'.repeat(32)})
      expect(unknown.status).to.equal(400)
      expect(unknown.json).to.deep.equal({error_message: `Invalid kasm_id (${'d'.repeat(32)})`})
    })
  })

  describe('settings', () => {
    afterEach(() => sandbox.reset())

    it('returns decrypted string values sorted by category and name, secrets masked', async () => {
      const res = await call(sandbox, 'get_settings')
      const settings = res.json.settings as Array<{category: string; name: string; value: string; value_type: string}>
      const keys = settings.map((s) => `${s.category}/${s.name}`)
      expect(keys).to.deep.equal([...keys].sort())
      const byName = Object.fromEntries(settings.map((s) => [s.name, s]))
      expect(byName.log_retention).to.include({value: '7', value_type: 'int'})
      expect(byName.debug_retention).to.include({value: '4'})
      expect(byName.hec_token.value).to.equal('**********')
      expect(settings.every((s) => typeof s.value === 'string')).to.equal(true)
    })

    it('stores a valid int as an encrypted string', async () => {
      const [setting] = await query<{setting_id: string}>(sandbox, `SELECT setting_id FROM settings WHERE name = 'log_retention'`)
      const res = await call(sandbox, 'update_setting', {setting_id: setting.setting_id, value: '14'})
      expect(res.json).to.deep.equal({})
      const [row] = await query<{value: string}>(sandbox, 'SELECT value FROM settings WHERE setting_id = $1', [setting.setting_id])
      const seed = await seedIds(sandbox)
      expect(row.value).to.not.equal('14')
      expect(decryptSetting(row.value, seed.installationId)).to.equal('14')
    })

    it('refuses a JSON number, a negative or a non-numeric int with "Value Error: Invalid Type"', async () => {
      const [setting] = await query<{setting_id: string}>(sandbox, `SELECT setting_id FROM settings WHERE name = 'log_retention'`)
      for (const value of [14, '-1', 'seven', '1.5']) {
        const res = await call(sandbox, 'update_setting', {setting_id: setting.setting_id, value})
        expect(res.status, String(value)).to.equal(200)
        expect(res.json).to.deep.equal({error_message: 'Value Error: Invalid Type'})
      }
    })

    it('refuses an unknown setting id with Kasm\'s text, and a read-only key with 401', async () => {
      const res = await call(sandbox, 'update_setting', {setting_id: 'e'.repeat(32), value: '3'})
      expect(res.json).to.deep.equal({error_message: `Invalid Request: No setting found with id (${'e'.repeat(32)})`})
      const [setting] = await query<{setting_id: string}>(sandbox, `SELECT setting_id FROM settings WHERE name = 'log_retention'`)
      const readonly = await call(sandbox, 'update_setting', {setting_id: setting.setting_id, value: '3'}, {key: 'readonly'})
      expect(readonly.status).to.equal(401)
    })
  })

  describe('get_report (logs)', () => {
    it('returns the newest rows of the last <delta> minutes, capped at 1000', async () => {
      const res = await call(sandbox, 'get_report', {delta: 60 * 24 * 30, limit: 5000, name: 'logs'})
      expect(res.json.data).to.have.length(1000)
      const row = res.json.data[0]
      expect(row.ingest_date).to.match(/^\d{12}$/)
      expect(row).to.include.keys('host', 'application', 'levelname', 'funcname', 'kasm_user_name', 'message', 'process')
    })

    it('filters by levelname and answers {} when nothing matches', async () => {
      const errors = await call(sandbox, 'get_report', {delta: 600, filters: {levelname: 'ERROR'}, limit: 50, name: 'logs'})
      expect(errors.json.data.length).to.be.greaterThan(0)
      expect(errors.json.data.every((r: {levelname: string}) => r.levelname === 'ERROR')).to.equal(true)
      const none = await call(sandbox, 'get_report', {end_date: '20000101 00:10', name: 'logs', start_date: '20000101 00:00'})
      expect(none.json).to.deep.equal({})
    })

    it('get_distinct_hosts lists every host that logged', async () => {
      const res = await call(sandbox, 'get_distinct_hosts')
      expect(res.json.data.map((r: {host: string}) => r.host)).to.deep.equal(['agent-1', 'agent-2', 'agent-3', 'agent-4', 'agent-5', 'agent-6', 'webapp-1', 'webapp-2'])
    })

    it('requires a delta or a start and end date', async () => {
      const res = await call(sandbox, 'get_report', {name: 'logs'})
      expect(res.json).to.deep.equal({error_message: 'The get_report API call requires a start_date and end_date or a delta parameter.'})
    })
  })
})
