import {expect} from 'chai'
import {readFile} from 'node:fs/promises'
import {connect as tlsConnect} from 'node:tls'

import type {Deployment} from '../../../../src/lib/sandbox/contract.js'
import {type TestSandbox, useSandbox} from '../../../helpers/sandbox.js'
import {call, proxyUrl, query, request, startLegacyWebapp, webappUrl, websocketHandshake} from './raw.js'

const UNHANDLED = '<html><body>An unhandled exception occurred check logs for details<body><html>'

async function refused(promise: Promise<unknown>): Promise<string | undefined> {
  return promise.then(
    () => undefined,
    (error: NodeJS.ErrnoException) => error.code,
  )
}

describe('Kasm API simulator: reverse proxies, WebSockets and faults', () => {
  let sandbox: TestSandbox
  let ca: string

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
    ca = await readFile(sandbox.state.tls.caFile, 'utf8')
  })

  afterEach(() => sandbox.clearFaults())

  describe('reverse proxies', () => {
    it('forward API calls over HTTP and over HTTPS with the sandbox CA', async () => {
      const http = await call(sandbox, 'get_zones', {brief: true}, {base: proxyUrl(sandbox, 'http')})
      expect(http.status).to.equal(200)
      const zones = http.json.zones
      const body = JSON.stringify({api_key: sandbox.state.apiKeys.admin.key, api_key_secret: (await readFile(sandbox.state.apiKeys.admin.secretFile, 'utf8')).trim(), brief: true})
      const tls = await request(`${proxyUrl(sandbox, 'https')}/api/public/get_zones`, {body, ca, headers: {'Content-Type': 'application/json'}, method: 'POST'})
      expect(tls.status).to.equal(200)
      expect(tls.json.zones).to.deep.equal(zones)
    })

    it('present a certificate that fails verification without the CA', async () => {
      const code = await refused(request(`${proxyUrl(sandbox, 'https')}/api/__healthcheck`))
      expect(code).to.match(/SELF_SIGNED|UNABLE_TO_VERIFY|CERT/)
    })

    it('fail over to the other web app when one is stopped', async () => {
      await sandbox.stopWebapp('webapp-1')
      try {
        for (let i = 0; i < 4; i++) {
          expect((await request(`${proxyUrl(sandbox, 'http')}/api/__healthcheck`)).status).to.equal(200)
        }
      } finally {
        await sandbox.startWebapp('webapp-1')
      }
    })

    it('answer nginx\'s 502 page when every web app is down (api-down)', async () => {
      await sandbox.fault({kind: 'api-down'})
      expect(await refused(request(`${webappUrl(sandbox, 'webapp-1')}/api/__healthcheck`))).to.equal('ECONNREFUSED')
      expect(await refused(request(`${webappUrl(sandbox, 'webapp-2')}/api/__healthcheck`))).to.equal('ECONNREFUSED')
      const res = await request(`${proxyUrl(sandbox, 'http')}/api/__healthcheck`)
      expect(res.status).to.equal(502)
      expect(res.text).to.include('502 Bad Gateway').and.include('nginx')
      await sandbox.clearFaults()
      expect((await request(`${webappUrl(sandbox, 'webapp-1')}/api/__healthcheck`)).status).to.equal(200)
    })
  })

  describe('WebSocket upgrades', () => {
    it('complete an RFC 6455 handshake on the web app and through both proxies', async () => {
      for (const url of [
        `${webappUrl(sandbox)}/api/websocket`,
        `${proxyUrl(sandbox, 'http')}/desktop/abc/vnc`,
        `${proxyUrl(sandbox, 'https')}/api/websocket`,
      ]) {
        const result = await websocketHandshake(url, {ca})
        expect(result.status, url).to.equal(101)
        expect(result.accept, url).to.equal(result.expected)
      }
    })

    it('fail through a proxy that strips the Upgrade headers, and work again once cleared', async () => {
      await sandbox.fault({kind: 'proxy-strip-upgrade', target: 'proxy-http'})
      const stripped = await websocketHandshake(`${proxyUrl(sandbox, 'http')}/api/websocket`)
      expect(stripped.status).to.not.equal(101)
      expect((await websocketHandshake(`${proxyUrl(sandbox, 'https')}/api/websocket`, {ca})).status).to.equal(101)
      await sandbox.clearFaults()
      expect((await websocketHandshake(`${proxyUrl(sandbox, 'http')}/api/websocket`)).status).to.equal(101)
    })

    it('are closed after the idle timeout, which is also written to the proxy config and restored', async () => {
      const proxy = sandbox.state.proxies.find((p) => p.scheme === 'https')!
      const original = await readFile(proxy.configPath, 'utf8')
      await sandbox.fault({kind: 'proxy-idle-timeout', seconds: 1, target: proxy.name})
      const config = await readFile(proxy.configPath, 'utf8')
      expect(config).to.include('proxy_read_timeout 1s;').and.include('proxy_send_timeout 1s;')
      const closedAfter = await new Promise<number>((resolve, reject) => {
        const started = Date.now()
        const socket = tlsConnect({ca, host: '127.0.0.1', port: proxy.port, servername: 'localhost'}, () => {
          socket.write('GET /api/websocket HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n')
        })
        let head = ''
        socket.on('data', (chunk) => (head += chunk.toString()))
        socket.on('close', () => (head.startsWith('HTTP/1.1 101') ? resolve(Date.now() - started) : reject(new Error(`no handshake: ${head}`))))
        socket.on('error', () => {})
        setTimeout(() => socket.destroy(new Error('still open after 10 s')), 10_000)
      })
      expect(closedAfter).to.be.within(900, 9000)
      await sandbox.clearFaults()
      expect(await readFile(proxy.configPath, 'utf8')).to.equal(original)
    })
  })

  describe('web app and proxy faults', () => {
    it('webapp-status answers that status with Kasm\'s text page, on that web app only', async () => {
      await sandbox.fault({kind: 'webapp-status', status: 500, target: 'webapp-1'})
      const res = await request(`${webappUrl(sandbox, 'webapp-1')}/api/__healthcheck`)
      expect(res.status).to.equal(500)
      expect(res.text).to.equal(UNHANDLED)
      const api = await call(sandbox, 'get_zones')
      expect(api.status).to.equal(500)
      await sandbox.fault({kind: 'webapp-status', status: 503, target: 'webapp-1'})
      expect((await request(`${webappUrl(sandbox, 'webapp-1')}/api/__healthcheck`)).text).to.equal('An error has occurred 503 - see logs for details')
      expect((await request(`${webappUrl(sandbox, 'webapp-2')}/api/__healthcheck`)).status).to.equal(200)
    })

    it('webapp-delay and proxy-delay hold the answer back', async () => {
      await sandbox.fault({kind: 'webapp-delay', ms: 400, target: 'webapp-2'})
      let started = Date.now()
      expect((await request(`${webappUrl(sandbox, 'webapp-2')}/api/__healthcheck`)).status).to.equal(200)
      expect(Date.now() - started).to.be.at.least(390)
      await sandbox.clearFaults()
      await sandbox.fault({kind: 'proxy-delay', ms: 400, target: 'proxy-http'})
      started = Date.now()
      expect((await request(`${proxyUrl(sandbox, 'http')}/api/__healthcheck`)).status).to.equal(200)
      expect(Date.now() - started).to.be.at.least(390)
    })

    it('proxy-down refuses connections until cleared', async () => {
      await sandbox.fault({kind: 'proxy-down', target: 'proxy-http'})
      expect(await refused(request(`${proxyUrl(sandbox, 'http')}/api/__healthcheck`))).to.equal('ECONNREFUSED')
      await sandbox.clearFaults()
      expect((await request(`${proxyUrl(sandbox, 'http')}/api/__healthcheck`)).status).to.equal(200)
    })

    it('a proxy idle timeout shorter than a slow web app gives nginx\'s 504', async () => {
      await sandbox.fault({kind: 'webapp-delay', ms: 2500, target: 'webapp-1'})
      await sandbox.fault({kind: 'webapp-delay', ms: 2500, target: 'webapp-2'})
      await sandbox.fault({kind: 'proxy-idle-timeout', seconds: 1, target: 'proxy-http'})
      const res = await request(`${proxyUrl(sandbox, 'http')}/api/__healthcheck`)
      expect(res.status).to.equal(504)
    })

    it('the health check answers the 500 page while the database is down', async () => {
      await sandbox.stopDatabase()
      try {
        const res = await request(`${webappUrl(sandbox)}/api/__healthcheck`)
        expect(res.status).to.equal(500)
        expect(res.text).to.equal(UNHANDLED)
      } finally {
        await sandbox.startDatabase()
      }

      expect((await request(`${webappUrl(sandbox)}/api/__healthcheck`)).status).to.equal(200)
    })
  })

  describe('Kasm 1.15 field names (a second deployment on the same database)', () => {
    let deployment: Deployment | undefined
    let url: string

    before(async () => {
      ;({deployment, url} = await startLegacyWebapp(sandbox))
    })

    after(() => deployment?.close())

    it('emits memory / memory_override on servers and memory on sessions', async () => {
      const servers = await call(sandbox, 'get_servers', {}, {base: url})
      const agent = servers.json.servers.find((s: {hostname: string}) => s.hostname === 'agent-4')
      expect(agent).to.include({memory: 16 * 1024 ** 3, memory_override: 24 * 1024 ** 3})
      expect(agent).to.not.have.property('memory_bytes')
      const kasms = await call(sandbox, 'get_kasms', {}, {base: url})
      expect(kasms.json.kasms[0]).to.have.property('memory').that.is.a('number')
      expect(kasms.json.kasms[0]).to.not.have.property('memory_bytes')
      const [row] = await query(sandbox, 'SELECT count(*)::int AS n FROM kasms')
      expect(kasms.json.kasms).to.have.length(row.n as number)
    })
  })
})
