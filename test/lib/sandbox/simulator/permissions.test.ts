import {expect} from 'chai'

import type {Deployment} from '../../../../src/lib/sandbox/contract.js'
import {type TestSandbox, useSandbox} from '../../../helpers/sandbox.js'
import {call, credentials, query, seedIds, startLegacyWebapp} from './raw.js'

/**
 * What Kasm's permission checks really do (kasm-verified.md §1, from the 1.15 server code), as the
 * simulator must reproduce them: hidden agents, destroy_kasm's gates and accounting, Desktop
 * updates that reset omitted flags, and HTTP Basic that 1.15 does not read.
 */
describe('Kasm API simulator: permissions and what a call really does', () => {
  let sandbox: TestSandbox

  /** Gives the `limited` key exactly these permissions. */
  async function limitedKeyWith(...permissions: number[]): Promise<void> {
    const {key} = await credentials(sandbox, 'limited')
    await query(sandbox, 'DELETE FROM group_permissions WHERE api_id = (SELECT api_id FROM api_configs WHERE api_key = $1)', [key])
    await query(
      sandbox,
      'INSERT INTO group_permissions (api_id, permission_id) SELECT api_id, unnest($2::int[]) FROM api_configs WHERE api_key = $1',
      [key, permissions],
    )
  }

  async function accounted(kasmId: string): Promise<string | undefined> {
    const [row] = await query<{destroy_reason: string}>(sandbox, 'SELECT destroy_reason FROM accounting WHERE kasm_id = $1', [kasmId])
    return row?.destroy_reason
  }

  before(async () => {
    sandbox = await useSandbox()
  })
  beforeEach(() => sandbox.reset())
  after(() => sandbox.reset())

  it('get_servers returns no agent and no error to a key with SERVERS_VIEW (2300) but not AGENTS_VIEW (500)', async () => {
    const res = await call(sandbox, 'get_servers', {}, {key: 'noagents'})
    expect(res.status).to.equal(200)
    const types = res.json.servers.map((s: {server_type: string}) => s.server_type)
    expect(types).to.have.length.greaterThan(0)
    expect(new Set(types)).to.deep.equal(new Set(['Desktop']))
    const admin = await call(sandbox, 'get_servers')
    expect(admin.json.servers.some((s: {server_type: string}) => s.server_type === 'host')).to.equal(true)
  })

  describe('destroy_kasm', () => {
    let kasm: {kasm_id: string; user_id: string}
    let other: {user_id: string}
    beforeEach(async () => {
      ;[kasm] = await query<{kasm_id: string; user_id: string}>(sandbox, 'SELECT kasm_id, user_id FROM kasms ORDER BY kasm_id LIMIT 1')
      ;[other] = await query<{user_id: string}>(sandbox, 'SELECT user_id FROM users WHERE user_id <> $1 LIMIT 1', [kasm.user_id])
    })

    it('refuses a key with SESSIONS_DELETE (803) alone, and one with only GLOBAL_ADMIN (200): USER (100) is required', async () => {
      for (const permission of [803, 200]) {
        await limitedKeyWith(permission)
        const res = await call(sandbox, 'destroy_kasm', {kasm_id: kasm.kasm_id, user_id: kasm.user_id}, {key: 'limited'})
        expect(res.status, String(permission)).to.equal(401)
        expect(res.json).to.deep.equal({error_message: 'Unauthorized'})
      }

      expect(await accounted(kasm.kasm_id)).to.equal(undefined)
    })

    it('needs USERS_AUTH_SESSION (352) when user_id is sent', async () => {
      await limitedKeyWith(100, 803)
      const res = await call(sandbox, 'destroy_kasm', {kasm_id: kasm.kasm_id, user_id: kasm.user_id}, {key: 'limited'})
      expect(res.status).to.equal(401)
      expect(res.json).to.deep.equal({error_message: 'API Key (kasmctl-sandbox-limited) is not authorized to impersonate a user.'})
    })

    it('with USER + USERS_AUTH_SESSION, acting as the owner is enough, and Kasm records the user\'s own destroy', async () => {
      await limitedKeyWith(100, 352)
      const res = await call(sandbox, 'destroy_kasm', {kasm_id: kasm.kasm_id, user_id: kasm.user_id}, {key: 'limited'})
      expect(res.json).to.deep.equal({})
      expect(await accounted(kasm.kasm_id)).to.equal('user_destroyed')
    })

    it('for another user\'s session needs SESSIONS_DELETE (803)', async () => {
      await limitedKeyWith(100, 352)
      const refused = await call(sandbox, 'destroy_kasm', {kasm_id: kasm.kasm_id, user_id: other.user_id}, {key: 'limited'})
      expect(refused.json).to.deep.equal({error_message: 'Unauthorized attempt to delete session'})
      await limitedKeyWith(100, 352, 803)
      const allowed = await call(sandbox, 'destroy_kasm', {kasm_id: kasm.kasm_id, user_id: other.user_id}, {key: 'limited'})
      expect(allowed.json).to.deep.equal({})
      expect(await accounted(kasm.kasm_id)).to.equal('admin_destroyed')
    })
  })

  it('destroy_agent_kasms (803) marks every session of the agent admin_delete_pending: an admin action in accounting', async () => {
    const seed = await seedIds(sandbox)
    const agent = seed.servers['agent-5']
    const before = await query<{kasm_id: string}>(sandbox, 'SELECT kasm_id FROM kasms WHERE server_id = $1', [agent])
    expect(before).to.have.length.greaterThan(0)
    await limitedKeyWith(803)
    expect((await call(sandbox, 'destroy_agent_kasms', {target_server: {server_id: agent}}, {key: 'limited'})).json).to.deep.equal({})
    const marked = await query<{operational_status: string}>(sandbox, 'SELECT DISTINCT operational_status FROM kasms WHERE server_id = $1', [agent])
    expect(marked.map((r) => r.operational_status)).to.deep.equal(['admin_delete_pending'])
    await sandbox.tick()
    for (const {kasm_id: kasmId} of before) expect(await accounted(kasmId)).to.equal('admin_destroyed')
  })

  it('update_server on a Desktop server resets an omitted use_user_private_key / agent_installed to false; on an agent it does not', async () => {
    const seed = await seedIds(sandbox)
    const [desktop, agent] = [seed.servers['rdp-1'], seed.servers['agent-1']]
    await query(sandbox, 'UPDATE servers SET use_user_private_key = true, agent_installed = true WHERE server_id = ANY($1::uuid[])', [[desktop, agent]])
    await call(sandbox, 'update_server', {target_server: {enabled: false, server_id: agent, server_type: 'host'}})
    await call(sandbox, 'update_server', {target_server: {friendly_name: 'RDP one', server_id: desktop, server_type: 'Desktop'}})
    const rows = await query(sandbox, 'SELECT hostname, use_user_private_key, agent_installed FROM servers WHERE server_id = ANY($1::uuid[]) ORDER BY hostname', [[desktop, agent]])
    expect(rows).to.deep.equal([
      {agent_installed: true, hostname: 'agent-1', use_user_private_key: true},
      {agent_installed: false, hostname: 'rdp-1', use_user_private_key: false},
    ])
    const kept = await call(sandbox, 'update_server', {target_server: {agent_installed: true, server_id: desktop, server_type: 'Desktop', use_user_private_key: true}})
    expect(kept.json.server).to.include({agent_installed: true, use_user_private_key: true})
  })

  describe('HTTP Basic', () => {
    let legacy: {deployment: Deployment; url: string} | undefined
    before(async () => {
      legacy = await startLegacyWebapp(sandbox)
    })
    after(() => legacy?.deployment.close())

    it('Kasm 1.15 does not read it: a Basic-only request is one without credentials, 400 "Invalid Request"', async () => {
      const basic = await call(sandbox, 'get_zones', {}, {auth: 'basic', base: legacy!.url})
      expect(basic.status).to.equal(400)
      expect(basic.json).to.deep.equal({error_message: 'Invalid Request'})
      const body = await call(sandbox, 'get_zones', {}, {auth: 'body', base: legacy!.url})
      expect(body.status).to.equal(200)
    })

    it('Kasm 1.19 reads it', async () => {
      expect((await call(sandbox, 'get_zones', {}, {auth: 'basic'})).status).to.equal(200)
    })
  })
})
