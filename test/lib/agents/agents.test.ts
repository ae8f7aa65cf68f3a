import {expect} from 'chai'
import {createServer, type Server as HttpServer} from 'node:http'
import type {AddressInfo} from 'node:net'
import {mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {disableAgent, enableAgent} from '../../../src/lib/agents/agents.js'
import {readDisableRecord} from '../../../src/lib/agents/state.js'
import {AuthError} from '../../../src/lib/errors.js'
import {KasmClient} from '../../../src/lib/kasm/client.js'
import type {Server} from '../../../src/lib/kasm/types.js'
import {useSandbox} from '../../helpers/sandbox.js'

const agent: Server = {enabled: true, hostname: 'agent-1', server_id: 'ab'.repeat(16), server_type: 'host', zone_name: 'default'}

describe('enable / disable: the update_server request', () => {
  // A local endpoint that records what kasmctl sends and answers as Kasm does; it checks the request
  // body, nothing else. The behaviour against a Kasm stand-in is tested below with the sandbox.
  let http: HttpServer
  let bodies: Array<Record<string, unknown>>
  let client: KasmClient
  let dataDir: string
  const savedXdg = process.env.XDG_DATA_HOME

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'kasmctl-agents-'))
    process.env.XDG_DATA_HOME = dataDir
    http = createServer((request, response) => {
      let text = ''
      request.on('data', (chunk) => (text += chunk))
      request.on('end', () => {
        const body = JSON.parse(text)
        bodies.push({path: request.url, ...body})
        response.setHeader('Content-Type', 'application/json')
        response.end(JSON.stringify({server: body.target_server}))
      })
    })
    await new Promise<void>((resolve) => http.listen(0, '127.0.0.1', resolve))
    client = new KasmClient({apiKey: 'key', apiSecret: 'secret', url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`})
  })
  beforeEach(() => {
    bodies = []
  })
  after(async () => {
    client.close()
    await new Promise((resolve) => http.close(resolve))
    if (savedXdg === undefined) delete process.env.XDG_DATA_HOME
    else process.env.XDG_DATA_HOME = savedXdg
    await rm(dataDir, {force: true, recursive: true})
  })

  it('disable sends exactly server_id, server_type and enabled:false in target_server, and records the reason', async () => {
    const result = await disableAgent(client, agent, {by: 'disable', context: 'test', reason: 'kernel update'})
    expect(bodies).to.deep.equal([
      {api_key: 'key', api_key_secret: 'secret', path: '/api/public/update_server', target_server: {enabled: false, server_id: agent.server_id, server_type: 'host'}},
    ])
    expect(result).to.deep.include({changed: true, enabled: false, reason: 'kernel update'})
    expect(await readDisableRecord('test', agent.server_id)).to.deep.include({by: 'disable', hostname: 'agent-1', reason: 'kernel update'})
  })

  it('enable sends enabled:true with server_type, and forgets the record', async () => {
    await enableAgent(client, {...agent, enabled: false}, 'test')
    expect(bodies.map((b) => b.target_server)).to.deep.equal([{enabled: true, server_id: agent.server_id, server_type: 'host'}])
    expect(await readDisableRecord('test', agent.server_id)).to.equal(undefined)
  })

  it('forgets the reason of an earlier disable once the agent was enabled elsewhere (the Kasm UI)', async () => {
    await disableAgent(client, agent, {by: 'disable', context: 'test', reason: 'old reason'})
    // The agent comes back enabled without kasmctl: the record on disk is stale.
    const result = await disableAgent(client, agent, {by: 'drain', context: 'test'})
    expect(result.reason).to.equal(null)
    const record = await readDisableRecord('test', agent.server_id)
    expect([record?.by, record?.reason]).to.deep.equal(['drain', undefined])
  })

  it('sends nothing when the agent already is in the wanted state', async () => {
    expect((await enableAgent(client, agent, 'test')).changed).to.equal(false)
    expect((await disableAgent(client, {...agent, enabled: false}, {by: 'disable', context: 'test'})).changed).to.equal(false)
    expect(bodies).to.deep.equal([])
  })
})

describe('update_server against the sandbox', () => {
  it('is refused without server_type (401) and accepted with it, as kasmctl sends it', async () => {
    const sandbox = await useSandbox()
    await sandbox.reset()
    const client = await sandbox.client()
    try {
      const target = (await client.getServers()).find((s) => s.hostname === 'agent-3')!
      const withoutType = client.call('update_server', {target_server: {enabled: false, server_id: target.server_id}})
      await withoutType.then(
        () => expect.fail('update_server without server_type was accepted'),
        (error: AuthError) => {
          expect(error.code).to.equal('AUTH')
          expect(error.details).to.deep.include({method: 'update_server', status: 401})
        },
      )
      expect((await client.getServer(target.server_id)).enabled).to.equal(true)
      await client.updateServer(target.server_id, target.server_type, {enabled: false})
      expect((await client.getServer(target.server_id)).enabled).to.equal(false)
    } finally {
      client.close()
    }
  })
})
