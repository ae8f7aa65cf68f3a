import {expect} from 'chai'

import {AuthError, ExitCode} from '../../../src/lib/errors.js'
import {KasmClient} from '../../../src/lib/kasm/client.js'
import type {Deployment} from '../../../src/lib/sandbox/contract.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {credentials, query, seedIds, startLegacyWebapp} from '../sandbox/simulator/raw.js'

/** How the client turns Kasm's permission behaviour (kasm-verified.md §1) into errors that say what to do. */
describe('KasmClient and Kasm permissions', () => {
  let sandbox: TestSandbox
  const open: KasmClient[] = []

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })
  afterEach(() => {
    for (const c of open.splice(0)) c.close()
  })
  after(() => sandbox.reset())

  async function client(key: keyof TestSandbox['state']['apiKeys'] = 'admin'): Promise<KasmClient> {
    const c = await sandbox.client(key)
    open.push(c)
    return c
  }

  async function failure(promise: Promise<unknown>): Promise<Error & {exitCode?: number; hint?: string; details?: Record<string, unknown>}> {
    return promise.then(
      () => expect.fail('expected the call to fail'),
      (error: Error) => error,
    )
  }

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
    try {
      const error = await failure((await client('noagents')).getServers())
      expect(error).to.be.instanceOf(AuthError)
      expect(error.message).to.include('report free agent capacity, yet get_servers returned no agent').and.include('AGENTS_VIEW (500)')
    } finally {
      await sandbox.reset()
    }
  })

  it('a deployment that really has no agents is not mistaken for a missing permission', async () => {
    await query(sandbox, `DELETE FROM servers WHERE server_type = 'host'`)
    try {
      const servers = await (await client('noagents')).getServers()
      expect(servers.every((s) => s.server_type === 'Desktop')).to.equal(true)
    } finally {
      await sandbox.reset()
    }
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
    try {
      const [kasm] = await query<{kasm_id: string; user_id: string}>(sandbox, 'SELECT kasm_id, user_id FROM kasms LIMIT 1')
      const error = await failure((await client('limited')).destroyKasm(kasm.kasm_id, kasm.user_id))
      expect(error).to.be.instanceOf(AuthError)
      expect(error.message).to.include('USER (100)').and.include('USERS_AUTH_SESSION (352)').and.include('SESSIONS_DELETE (803)')
    } finally {
      await sandbox.reset()
    }
  })

  it('updating a Desktop server sends its current use_user_private_key and agent_installed, which Kasm would reset', async () => {
    const seed = await seedIds(sandbox)
    const desktop = seed.servers['rdp-1']
    await query(sandbox, 'UPDATE servers SET use_user_private_key = true, agent_installed = true WHERE server_id = $1', [desktop])
    try {
      const updated = await (await client()).updateServer(desktop, 'Desktop', {enabled: false})
      expect(updated).to.include({enabled: false})
      const [row] = await query(sandbox, 'SELECT enabled, use_user_private_key, agent_installed FROM servers WHERE server_id = $1', [desktop])
      expect(row).to.deep.equal({agent_installed: true, enabled: false, use_user_private_key: true})
    } finally {
      await sandbox.reset()
    }
  })

  describe('HTTP Basic on Kasm 1.15', () => {
    let legacy: {deployment: Deployment; url: string} | undefined
    before(async () => {
      legacy = await startLegacyWebapp(sandbox)
    })
    after(() => legacy?.deployment.close())

    it('its 400 "Invalid Request" is an auth problem (exit 77) whose hint is body or header credentials', async () => {
      const {key, secret} = await credentials(sandbox, 'admin')
      const basic = new KasmClient({apiKey: key, apiSecret: secret, auth: 'basic', url: legacy!.url})
      open.push(basic)
      const error = await failure(basic.getZones())
      expect(error).to.be.instanceOf(AuthError)
      expect(error.exitCode).to.equal(ExitCode.AUTH)
      expect(error.message).to.include('ignored the HTTP Basic credentials (HTTP 400 "Invalid Request")')
      expect(error.hint).to.include('--auth body')
    })
  })
})
