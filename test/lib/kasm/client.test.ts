import {expect} from 'chai'

import type {AuthStyle} from '../../../src/lib/config/types.js'
import {AuthError, ExitCode, KasmApiError, UnavailableError} from '../../../src/lib/errors.js'
import {KasmClient} from '../../../src/lib/kasm/client.js'
import type {KasmClientOptions} from '../../../src/lib/kasm/request.js'
import {freePorts} from '../../../src/lib/net.js'
import type {Deployment} from '../../../src/lib/sandbox/contract.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {credentials, query, seedIds, startLegacyWebapp, webappUrl} from '../sandbox/simulator/raw.js'

const HEX32 = /^[\da-f]{32}$/

/**
 * Every KasmClient method against the sandbox's simulator (real HTTP, real PostgreSQL): the shapes it
 * returns, each auth style, each auth failure, Kasm's business errors, transport failures and retries.
 */
describe('KasmClient against the sandbox', () => {
  let sandbox: TestSandbox
  const open: KasmClient[] = []

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  afterEach(() => {
    for (const c of open.splice(0)) c.close()
  })

  /** The sandbox context's client (HTTPS proxy, CA file, body auth), optionally with another key or auth style. */
  async function client(key: keyof TestSandbox['state']['apiKeys'] = 'admin', auth: AuthStyle = 'body'): Promise<KasmClient> {
    const {key: apiKey, secretFile} = sandbox.state.apiKeys[key]
    const c = await KasmClient.fromContext({...sandbox.context, api: {...sandbox.context.api, auth, key: apiKey, secret: {file: secretFile}}})
    open.push(c)
    return c
  }

  /** A client straight at a URL (a web app, or the HTTPS proxy without the CA). */
  async function direct(url: string, extra: Partial<KasmClientOptions> = {}): Promise<KasmClient> {
    const {key, secret} = await credentials(sandbox, 'admin')
    const c = new KasmClient({apiKey: key, apiSecret: secret, retryDelayMs: 10, url, ...extra})
    open.push(c)
    return c
  }

  async function failure(promise: Promise<unknown>): Promise<Error & {details?: Record<string, unknown>; exitCode?: number; hint?: string; kasmMessage?: string}> {
    return promise.then(
      () => {
        throw new Error('expected the call to fail')
      },
      (error: Error) => error,
    )
  }

  describe('reads', () => {
    it('getZones returns normalised zones, with servers unless brief', async () => {
      const c = await client()
      const zones = await c.getZones()
      expect(zones.map((z) => z.zone_name)).to.deep.equal(['default', 'east', 'enclave'])
      expect(zones[0].zone_id).to.match(HEX32)
      expect(zones[0].servers?.[0].server_id).to.match(HEX32)
      expect(zones[0].servers?.every((s) => typeof s.memory === 'number')).to.equal(true)
      const brief = await c.getZones({brief: true})
      expect(brief[0].servers).to.equal(undefined)
      expect(brief[0].num_kasms).to.equal(zones[0].num_kasms)
    })

    it('getServers / getServer read memory as bytes whatever the field name', async () => {
      const c = await client()
      const servers = await c.getServers()
      const agent4 = servers.find((s) => s.hostname === 'agent-4')!
      expect(agent4).to.include({memory: 16 * 1024 ** 3, memory_override: 24 * 1024 ** 3, server_type: 'host'})
      expect(agent4).to.not.have.property('memory_bytes')
      const one = await c.getServer(agent4.server_id)
      expect(one.hostname).to.equal('agent-4')
      expect(one.registration_jwt).to.be.a('string')
    })

    it('getManagers and getConnectionProxies return normalised ids and zones', async () => {
      const c = await client()
      const managers = await c.getManagers()
      expect(managers.map((m) => m.manager_hostname)).to.deep.equal(['webapp-1', 'webapp-2'])
      expect(managers[0].manager_id).to.match(HEX32)
      expect(managers[0].zone_name).to.equal('default')
      const proxies = await c.getConnectionProxies()
      expect(proxies.map((p) => p.server_address)).to.deep.equal(['guac-1', 'guac-2'])
      expect(proxies[0].zone_id).to.match(HEX32)
    })

    it('getKasms and getKasm return sessions with memory in bytes and current_time', async () => {
      const c = await client()
      const {currentTime, kasms} = await c.getKasms()
      expect(currentTime).to.match(/^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}\.\d{6}$/)
      expect(kasms).to.have.length((await query(sandbox, 'SELECT 1 FROM kasms')).length)
      expect(kasms[0].memory).to.be.a('number').greaterThan(0)
      const one = await c.getKasm(kasms[0].kasm_id)
      expect(one.kasm_id).to.equal(kasms[0].kasm_id)
    })

    it('getImages reads sizes in bytes and needs IMAGES_VIEW (900)', async () => {
      await query(sandbox, `UPDATE images SET uncompressed_size_bytes = 1500000000 WHERE friendly_name = 'Chrome'`)
      const c = await client()
      const images = await c.getImages()
      const chrome = images.find((i) => i.friendly_name === 'Chrome')!
      expect(chrome).to.include({cores: 2, enabled: true, gpu_count: 0, memory: 2_768_000_000, uncompressed_size_bytes: 1_500_000_000})
      expect(chrome.image_id).to.match(HEX32)
      expect(chrome).to.not.have.property('memory_bytes')
      const refused = await (await client('limited')).getImages().catch((error: unknown) => error)
      expect(refused).to.be.instanceOf(AuthError)
      expect((refused as AuthError).message).to.include('IMAGES_VIEW (900)')
    })

    it('getSettings returns string values; getReport returns log rows', async () => {
      const c = await client()
      const settings = await c.getSettings()
      expect(settings.find((s) => s.name === 'log_retention')).to.include({category: 'logging', value: '7'})
      const rows = await c.getReport({delta: 60, filters: {levelname: 'ERROR'}, limit: 10, name: 'logs'})
      expect(rows.length).to.be.within(1, 10)
      expect(await c.getReport({end_date: '20000101 00:10', name: 'logs', start_date: '20000101 00:00'})).to.deep.equal([])
    })

    it('healthcheck reports ok for a web app and a proxy, and the status when it is not', async () => {
      const c = await client()
      expect(await c.healthcheck()).to.include({ok: true, status: 200})
      expect(await c.healthcheck(webappUrl(sandbox, 'webapp-2'))).to.include({ok: true, status: 200})
      await sandbox.fault({kind: 'webapp-status', status: 500, target: 'webapp-2'})
      try {
        const result = await c.healthcheck(webappUrl(sandbox, 'webapp-2'))
        expect(result).to.include({ok: false, status: 500})
      } finally {
        await sandbox.clearFaults()
      }
    })
  })

  describe('writes', () => {
    beforeEach(() => sandbox.reset())

    it('createZone / updateZone / deleteZone', async () => {
      const c = await client()
      const created = await c.createZone({load_strategy: 'least_kasms', zone_name: 'west'})
      expect(created.zone_id).to.match(HEX32)
      expect(created).to.include({load_strategy: 'least_kasms', proxy_port: 443})
      const updated = await c.updateZone(created.zone_id, {search_alternate_zones: false})
      expect(updated).to.include({load_strategy: 'least_kasms', search_alternate_zones: false, zone_name: 'west'})
      await c.deleteZone(created.zone_id)
      expect((await c.getZones({brief: true})).map((z) => z.zone_name)).to.not.include('west')
    })

    it('updateServer sends the type and returns the normalised server', async () => {
      const c = await client()
      const agent = (await c.getServers()).find((s) => s.hostname === 'agent-5')!
      const updated = await c.updateServer(agent.server_id, 'host', {enabled: false, memory_override: 20e9})
      expect(updated).to.include({enabled: false, hostname: 'agent-5', memory_override: 20e9})
    })

    it('requestKasm, keepalive and destroyKasm (with the owner\'s user_id)', async () => {
      const c = await client()
      const [image] = await query<{image_id: string}>(sandbox, `SELECT image_id FROM images WHERE friendly_name = 'Firefox'`)
      const [user] = await query<{user_id: string}>(sandbox, `SELECT user_id FROM users WHERE username = 'user3@kasm.local'`)
      const session = await c.requestKasm({image_id: image.image_id, user_id: user.user_id})
      expect(session.kasm_id).to.match(HEX32)
      expect(await c.keepalive(session.kasm_id)).to.deep.equal({usage_reached: false})
      await c.destroyKasm(session.kasm_id, user.user_id)
      const [account] = await query(sandbox, 'SELECT destroy_reason FROM accounting WHERE kasm_id = $1', [session.kasm_id])
      expect(account).to.not.equal(undefined)
    })

    it('updateSetting stores a string value', async () => {
      const c = await client()
      const setting = (await c.getSettings()).find((s) => s.name === 'debug_retention')!
      await c.updateSetting(setting.setting_id, '2')
      expect((await c.getSettings()).find((s) => s.name === 'debug_retention')?.value).to.equal('2')
    })

    it('call() reaches any method, e.g. destroy_agent_kasms', async () => {
      const c = await client()
      const agent = (await c.getServers()).find((s) => s.hostname === 'agent-2')!
      expect(await c.call('destroy_agent_kasms', {target_server: {server_id: agent.server_id}})).to.deep.equal({})
    })
  })

  describe('auth styles and failures', () => {
    after(() => sandbox.reset())

    for (const auth of ['body', 'basic', 'headers'] as const) {
      it(`authenticates with the key in the ${auth} for reads and writes`, async () => {
        await sandbox.reset()
        const c = await client('admin', auth)
        expect(await c.getZones({brief: true})).to.have.length(3)
        const zone = await c.createZone({zone_name: `by-${auth}`})
        expect(zone.zone_name).to.equal(`by-${auth}`)
      })
    }

    it('a wrong secret is an AuthError (exit 77) naming the URL', async () => {
      const {key} = await credentials(sandbox, 'admin')
      const c = new KasmClient({apiKey: key, apiSecret: 'wrong', url: webappUrl(sandbox)})
      open.push(c)
      const error = await failure(c.getZones())
      expect(error).to.be.instanceOf(AuthError)
      expect(error.exitCode).to.equal(ExitCode.AUTH)
      expect(error.message).to.include(webappUrl(sandbox)).and.include('403')
    })

    it('a read-only key on a write is an AuthError naming the permission it needs', async () => {
      const c = await client('readonly')
      const error = await failure(c.createZone({zone_name: 'nope'}))
      expect(error).to.be.instanceOf(AuthError)
      expect(error.message).to.include('create_zone').and.include('ZONES_CREATE (1902)')
    })

    it('a key without the permission is an AuthError saying what it lacks', async () => {
      const c = await client('limited')
      expect(await c.getZones({brief: true})).to.have.length.greaterThan(0)
      const error = await failure(c.getServers())
      expect(error).to.be.instanceOf(AuthError)
      expect(error.message).to.include('lacks the permission for get_servers').and.include('SERVERS_VIEW (2300)')
    })

    describe('with permissions granted in the database', () => {
      async function grant(permission: number): Promise<void> {
        const {key} = await credentials(sandbox, 'limited')
        await query(sandbox, 'INSERT INTO group_permissions (api_id, permission_id) SELECT api_id, $2 FROM api_configs WHERE api_key = $1', [key, permission])
      }

      it('a key with USER but not USERS_AUTH_SESSION cannot act for a user: the error names 352', async () => {
        await grant(100)
        const [image] = await query<{image_id: string}>(sandbox, 'SELECT image_id FROM images LIMIT 1')
        const [user] = await query<{user_id: string}>(sandbox, 'SELECT user_id FROM users LIMIT 1')
        const error = await failure((await client('limited')).requestKasm({image_id: image.image_id, user_id: user.user_id}))
        expect(error).to.be.instanceOf(AuthError)
        expect(error.message).to.include('may not act for a user in request_kasm').and.include('USERS_AUTH_SESSION (352)')
      })

      it('a key with only the logging permission cannot change another category: a permission error, not a bad secret', async () => {
        await grant(1306)
        const [setting] = await query<{setting_id: string}>(
          sandbox,
          `INSERT INTO settings (name, category, title, value_type) VALUES ('login_banner', 'auth', 'Login Banner', 'string') RETURNING setting_id`,
        )
        const error = await failure((await client('limited')).updateSetting(setting.setting_id, 'hello'))
        expect(error).to.be.instanceOf(AuthError)
        expect(error.message).to.include('lacks the permission for update_setting').and.include('is not authorized to make changes to this setting (login_banner)')
      })
    })
  })

  describe('business and transport errors', () => {
    it('a business error is a KasmApiError with Kasm\'s message', async () => {
      const c = await client()
      const error = await failure(c.createZone({zone_name: 'default'}))
      expect(error).to.be.instanceOf(KasmApiError)
      expect(error.kasmMessage).to.equal('Zone (default) already exists')
      const missing = await failure(c.updateZone('f'.repeat(32), {zone_name: 'x'}))
      expect(missing.kasmMessage).to.equal('Invalid Request. Zone does not exit by that id')
    })

    it('a plain-text 500 is "unexpected response from <url> (HTTP 500)"', async () => {
      await sandbox.fault({kind: 'webapp-status', status: 500, target: 'webapp-1'})
      try {
        const c = await direct(webappUrl(sandbox, 'webapp-1'))
        const error = await failure(c.getZones())
        expect(error).to.be.instanceOf(UnavailableError)
        expect(error.message).to.equal(`unexpected response from ${webappUrl(sandbox, 'webapp-1')}/api/public/get_zones (HTTP 500)`)
      } finally {
        await sandbox.clearFaults()
      }
    })

    it('connection refused is an UnavailableError naming the URL', async () => {
      const [port] = await freePorts(1) // nothing listens there
      const c = await direct(`http://127.0.0.1:${port}`, {retries: 0})
      const error = await failure(c.getZones())
      expect(error).to.be.instanceOf(UnavailableError)
      expect(error.exitCode).to.equal(ExitCode.UNAVAILABLE)
      expect(error.message).to.equal(`cannot reach http://127.0.0.1:${port}/api/public/get_zones: connection refused`)
    })

    it('the HTTPS proxy works with the CA file, and without it fails with a TLS error and a hint', async () => {
      expect(await (await client()).getZones({brief: true})).to.have.length(3)
      const c = await direct(sandbox.context.api.url, {retries: 0})
      const error = await failure(c.getZones())
      expect(error).to.be.instanceOf(UnavailableError)
      expect(error.message).to.match(/^TLS error talking to https:\/\/127\.0\.0\.1:\d+\/api\/public\/get_zones/)
      expect(error.hint).to.include('--ca-file')
    })
  })

  describe('retries', () => {
    afterEach(() => sandbox.clearFaults())

    /** Runs the call, clearing the faults while the client waits before its first retry. */
    async function clearedDuringBackoff<T>(run: () => Promise<T>): Promise<T> {
      const result = run()
      await new Promise((resolve) => {
        setTimeout(resolve, 150)
      })
      await sandbox.clearFaults()
      return result
    }

    it('retries a read after a 503 and succeeds once the web app recovers', async () => {
      await sandbox.fault({kind: 'webapp-status', status: 503, target: 'webapp-1'})
      const lines: string[] = []
      const c = await direct(webappUrl(sandbox, 'webapp-1'), {debug: (line) => lines.push(line), retries: 3, retryDelayMs: 1500})
      const zones = await clearedDuringBackoff(() => c.getZones({brief: true}))
      expect(zones).to.have.length(3)
      expect(lines[0]).to.include('HTTP 503')
      expect(lines.at(-1)).to.include('HTTP 200')
    })

    it('retries a read after connection refused', async () => {
      await sandbox.fault({kind: 'api-down'})
      const lines: string[] = []
      const c = await direct(webappUrl(sandbox, 'webapp-1'), {debug: (line) => lines.push(line), retries: 3, retryDelayMs: 1500})
      const zones = await clearedDuringBackoff(() => c.getZones({brief: true}))
      expect(zones).to.have.length(3)
      expect(lines[0]).to.include('ECONNREFUSED')
    })

    it('never retries a write', async () => {
      await sandbox.fault({kind: 'webapp-status', status: 503, target: 'webapp-1'})
      const lines: string[] = []
      const c = await direct(webappUrl(sandbox, 'webapp-1'), {debug: (line) => lines.push(line), retries: 3, retryDelayMs: 10})
      const error = await failure(c.createZone({zone_name: 'once'}))
      expect(error).to.be.instanceOf(UnavailableError)
      expect(lines).to.have.length(1)
      const reads: string[] = []
      const reader = await direct(webappUrl(sandbox, 'webapp-1'), {debug: (line) => reads.push(line), retries: 3, retryDelayMs: 10})
      await failure(reader.getZones())
      expect(reads).to.have.length(4)
    })
  })

  describe('Kasm 1.15 field names', () => {
    let deployment: Deployment | undefined
    let url: string

    before(async () => {
      ;({deployment, url} = await startLegacyWebapp(sandbox))
    })

    after(() => deployment?.close())

    it('reads image memory / uncompressed_size_mb (1.15) as it reads memory_bytes / uncompressed_size_bytes (1.19)', async () => {
      await query(sandbox, `UPDATE images SET uncompressed_size_bytes = 1500000000`)
      const modern = await (await client()).getImages()
      const legacy = await (await direct(url)).getImages()
      expect(legacy).to.deep.equal(modern)
      expect(modern[0].uncompressed_size_bytes).to.equal(1_500_000_000)
    })

    it('reads memory / memory_override (1.15) as it reads memory_bytes / memory_override_bytes (1.19)', async () => {
      await sandbox.reset()
      const modern = await (await client()).getServers()
      const legacy = await (await direct(url)).getServers()
      const pick = (servers: typeof modern) => servers.map((s) => ({hostname: s.hostname, memory: s.memory, memory_override: s.memory_override}))
      expect(pick(legacy)).to.deep.equal(pick(modern))
      expect(pick(modern).find((s) => s.hostname === 'agent-4')).to.deep.equal({hostname: 'agent-4', memory: 16 * 1024 ** 3, memory_override: 24 * 1024 ** 3})
      const [kasm] = (await (await direct(url)).getKasms()).kasms
      expect(kasm.memory).to.be.a('number').greaterThan(0)
    })

    it('its 400 "Invalid Request" to HTTP Basic (which 1.15 does not read) is an auth problem (exit 77) whose hint is body or header credentials', async () => {
      const error = await failure((await direct(url, {auth: 'basic'})).getZones())
      expect(error).to.be.instanceOf(AuthError)
      expect(error.exitCode).to.equal(ExitCode.AUTH)
      expect(error.message).to.include('ignored the HTTP Basic credentials (HTTP 400 "Invalid Request")')
      expect(error.hint).to.include('--auth body')
    })
  })

  /** Kasm's permission behaviour as kasm-verified.md §1 describes it, turned into errors that say what to do. */
  describe('Kasm permissions', () => {
    afterEach(() => sandbox.reset())

    it('getServers never answers "no agents" to a key without AGENTS_VIEW: exit 77 naming the permission', async () => {
      const error = await failure((await client('noagents')).getServers())
      expect(error).to.be.instanceOf(AuthError)
      expect(error.exitCode).to.equal(ExitCode.AUTH)
      expect(error.message).to.include('cannot see Docker agents').and.include('AGENTS_VIEW (500)').and.include('agent-1')
      expect(error.hint).to.include('AGENTS_VIEW (500)')
    })

    it('tells hidden agents from zones\' capacity when the key cannot list managers', async () => {
      const {key} = await credentials(sandbox, 'noagents')
      await query(sandbox, 'DELETE FROM group_permissions WHERE permission_id = 1800 AND api_id = (SELECT api_id FROM api_configs WHERE api_key = $1)', [key])
      const error = await failure((await client('noagents')).getServers())
      expect(error).to.be.instanceOf(AuthError)
      expect(error.message).to.include('report free agent capacity, yet get_servers returned no agent').and.include('AGENTS_VIEW (500)')
    })

    it('a deployment that really has no agents is not mistaken for a missing permission', async () => {
      await query(sandbox, `DELETE FROM servers WHERE server_type = 'host'`)
      const servers = await (await client('noagents')).getServers()
      expect(servers.every((s) => s.server_type === 'Desktop')).to.equal(true)
    })

    it('a 401 on a write names both causes: a missing permission, or a read-only key', async () => {
      const error = await failure((await client('readonly')).createZone({zone_name: 'nope'}))
      expect(error).to.be.instanceOf(AuthError)
      expect(error.message).to.include('ZONES_CREATE (1902)').and.include('not read-only')
      expect(error.hint).to.include('a missing permission, or a read-only key calling a write').and.include('"Read Only"')
    })

    it('destroy_kasm refused for lack of USER (100) says what the key needs', async () => {
      const {key} = await credentials(sandbox, 'limited')
      await query(sandbox, 'INSERT INTO group_permissions (api_id, permission_id) SELECT api_id, 803 FROM api_configs WHERE api_key = $1', [key])
      const [kasm] = await query<{kasm_id: string; user_id: string}>(sandbox, 'SELECT kasm_id, user_id FROM kasms LIMIT 1')
      const error = await failure((await client('limited')).destroyKasm(kasm.kasm_id, kasm.user_id))
      expect(error).to.be.instanceOf(AuthError)
      expect(error.message).to.include('USER (100)').and.include('USERS_AUTH_SESSION (352)').and.include('SESSIONS_DELETE (803)')
    })

    it('updating a Desktop server sends its current use_user_private_key and agent_installed, which Kasm would reset', async () => {
      const desktop = (await seedIds(sandbox)).servers['rdp-1']
      await query(sandbox, 'UPDATE servers SET use_user_private_key = true, agent_installed = true WHERE server_id = $1', [desktop])
      expect(await (await client()).updateServer(desktop, 'Desktop', {enabled: false})).to.include({enabled: false})
      const [row] = await query(sandbox, 'SELECT enabled, use_user_private_key, agent_installed FROM servers WHERE server_id = $1', [desktop])
      expect(row).to.deep.equal({agent_installed: true, enabled: false, use_user_private_key: true})
    })
  })
})
