import {expect} from 'chai'
import {createServer, type IncomingMessage, type Server, type ServerResponse} from 'node:http'
import type {AddressInfo} from 'node:net'

import {AuthError, ExitCode, KasmApiError, UnavailableError} from '../../../src/lib/errors.js'
import {KasmClient} from '../../../src/lib/kasm/client.js'

/**
 * Unit tests of how the client maps each kind of Kasm answer to a typed error. A scripted HTTP server
 * plays the answers documented in kasm-api.md §2-3; behaviour against the full simulator is covered
 * in client.test.ts.
 */
describe('Kasm API client error mapping', () => {
  let server: Server
  let url: string
  let script: (req: IncomingMessage, res: ServerResponse, body: Record<string, unknown>) => void
  let requests: Array<{headers: IncomingMessage['headers']; body: Record<string, unknown>; path: string}>

  before(async () => {
    server = createServer((req, res) => {
      let raw = ''
      req.on('data', (c) => (raw += c))
      req.on('end', () => {
        const body = raw ? JSON.parse(raw) : {}
        requests.push({body, headers: req.headers, path: req.url ?? ''})
        script(req, res, body)
      })
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(() => server.close())
  beforeEach(() => {
    requests = []
  })

  const client = (extra: Partial<ConstructorParameters<typeof KasmClient>[0]> = {}) =>
    new KasmClient({apiKey: 'key123', apiSecret: 'secret456', retryDelayMs: 1, url, ...extra})
  const json = (res: ServerResponse, status: number, payload: unknown) => {
    res.writeHead(status, {'Content-Type': 'application/json'}).end(JSON.stringify(payload))
  }

  it('treats HTTP 200 with error_message as a business error carrying Kasm\'s text', async () => {
    script = (_q, res) => json(res, 200, {error_message: 'Zone (x) already exists'})
    const error = await client().createZone({zone_name: 'x'}).catch((e) => e)
    expect(error).to.be.instanceOf(KasmApiError)
    expect(error.kasmMessage).to.equal('Zone (x) already exists')
    expect(error.exitCode).to.equal(ExitCode.FAILED)
  })

  it('sends credentials in the body by default, as headers or as HTTP Basic on request', async () => {
    script = (_q, res) => json(res, 200, {zones: []})
    await client().getZones()
    await client({auth: 'headers'}).getZones()
    await client({auth: 'basic'}).getZones()
    expect(requests[0].path).to.equal('/api/public/get_zones')
    expect(requests[0].body).to.include({api_key: 'key123', api_key_secret: 'secret456'})
    expect(requests[1].headers).to.include({'api-key': 'key123', 'api-key-secret': 'secret456'})
    expect(requests[1].body).to.not.have.property('api_key_secret')
    expect(requests[2].headers.authorization).to.equal(`Basic ${Buffer.from('key123:secret456').toString('base64')}`)
  })

  it('maps 401 Unauthorized to an auth error naming the missing permission', async () => {
    script = (_q, res) => json(res, 401, {error_message: 'Unauthorized'})
    const error = await client().updateZone('a'.repeat(32), {search_alternate_zones: false}).catch((e) => e)
    expect(error).to.be.instanceOf(AuthError)
    expect(error.exitCode).to.equal(ExitCode.AUTH)
    expect(error.message).to.include('ZONES_MODIFY (1901)')
  })

  it('maps 401 Unauthorized on a method it does not know to both causes: a missing permission or a read-only key', async () => {
    script = (_q, res) => json(res, 401, {error_message: 'Unauthorized'})
    const error = await client().call('delete_server_pool', {}).catch((e) => e)
    expect(error).to.be.instanceOf(AuthError)
    expect(error.message).to.include('lacks the permission for delete_server_pool, and a key that is not read-only')
    expect(error.hint).to.include('a missing permission, or a read-only key calling a write')
  })

  it('maps 403 Access Denied to a refused key, and 401 expiry to an expired key', async () => {
    script = (_q, res) => json(res, 403, {error_message: 'Access Denied'})
    expect((await client().getZones().catch((e) => e)).message).to.include('API key or secret was refused')
    script = (_q, res) => json(res, 401, {error_message: 'Access has expired'})
    expect((await client().getZones().catch((e) => e)).message).to.include('has expired')
  })

  it('reports plain-text and HTML bodies as "unexpected response from <url> (HTTP n)"', async () => {
    script = (_q, res) => res.writeHead(500, {'Content-Type': 'text/html'}).end('<html><body>An unhandled exception occurred check logs for details<body><html>')
    const error = await client({retries: 0}).getZones().catch((e) => e)
    expect(error).to.be.instanceOf(UnavailableError)
    expect(error.message).to.equal(`unexpected response from ${url}/api/public/get_zones (HTTP 500)`)
  })

  it('retries reads on 503 with backoff, and never retries writes', async () => {
    let calls = 0
    script = (_q, res) => (++calls < 3 ? res.writeHead(503).end('busy') : json(res, 200, {zones: []}))
    expect(await client({retries: 2}).getZones()).to.deep.equal([])
    expect(calls).to.equal(3)
    calls = 0
    script = (_q, res) => {
      calls++
      res.writeHead(503).end('busy')
    }

    await client({retries: 2}).deleteZone('a'.repeat(32)).catch(() => undefined)
    expect(calls).to.equal(1)
  })

  it('names the URL and the next step when nothing listens', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const port = (closed.address() as AddressInfo).port
    closed.close()
    const error = await new KasmClient({apiKey: 'k', apiSecret: 's', retries: 0, url: `http://127.0.0.1:${port}`}).getZones().catch((e) => e)
    expect(error).to.be.instanceOf(UnavailableError)
    expect(error.message).to.equal(`cannot reach http://127.0.0.1:${port}/api/public/get_zones: connection refused`)
    expect(error.hint).to.include('kasmctl health')
  })

  it('tolerates a base URL given with a trailing /api/', async () => {
    script = (_q, res) => json(res, 200, {zones: []})
    await client({url: `${url}/api/`}).getZones()
    expect(requests[0].path).to.equal('/api/public/get_zones')
  })

  it('checks the healthcheck body, not only the status', async () => {
    script = (_q, res) => res.writeHead(200).end('{"ok": true}')
    expect((await client().healthcheck()).ok).to.equal(true)
    script = (_q, res) => res.writeHead(200).end('<html>maintenance</html>')
    const result = await client().healthcheck()
    expect(result).to.include({ok: false, status: 200})
  })
})
