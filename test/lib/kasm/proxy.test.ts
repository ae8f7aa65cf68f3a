import {expect} from 'chai'
import {readFile} from 'node:fs/promises'

import {ConfigError} from '../../../src/lib/errors.js'
import {noProxyMatch, proxyFor} from '../../../src/lib/kasm/proxy-env.js'
import {HttpTransport, NetworkError} from '../../../src/lib/kasm/transport.js'
import {runCli} from '../../helpers/cli.js'
import {type ForwardProxy, startForwardProxy} from '../../helpers/forward-proxy.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {credentials, proxyUrl, webappUrl} from '../sandbox/simulator/raw.js'

describe('forward proxies (HTTPS_PROXY / HTTP_PROXY / NO_PROXY)', () => {
  describe('choosing the proxy', () => {
    const https = new URL('https://kasm.example.com/api/public/get_zones')
    const http = new URL('http://10.0.0.5:8080/')

    it('takes HTTPS_PROXY for https URLs and HTTP_PROXY for http URLs, in either case, lower case first', () => {
      expect(proxyFor(https, {HTTPS_PROXY: 'http://proxy:3128'}).proxy?.href).to.equal('http://proxy:3128/')
      expect(proxyFor(https, {https_proxy: 'http://lower:3128', HTTPS_PROXY: 'http://upper:3128'}).proxy?.host).to.equal('lower:3128')
      expect(proxyFor(https, {HTTP_PROXY: 'http://proxy:3128'}).proxy).to.equal(undefined)
      expect(proxyFor(http, {http_proxy: 'proxy:8080'}).proxy?.href).to.equal('http://proxy:8080/')
      expect(proxyFor(http, {}).reason).to.equal('no HTTP_PROXY set')
    })

    it('bypasses the proxy for NO_PROXY hosts: exact, domain suffix, port, `*`', () => {
      expect(noProxyMatch(https, 'example.com')).to.equal('example.com')
      expect(noProxyMatch(https, 'other.org, .example.com')).to.equal('.example.com')
      expect(noProxyMatch(https, '*.example.com')).to.equal('*.example.com')
      expect(noProxyMatch(https, 'kasm.example.com:8443')).to.equal(undefined)
      expect(noProxyMatch(https, 'kasm.example.com:443')).to.equal('kasm.example.com:443')
      expect(noProxyMatch(https, 'ample.com')).to.equal(undefined)
      expect(noProxyMatch(http, '10.0.0.5')).to.equal('10.0.0.5')
      expect(noProxyMatch(new URL('https://[::1]:8443/'), '::1')).to.equal('::1')
      expect(noProxyMatch(new URL('https://[::1]:8443/'), '[::1]:8443')).to.equal('[::1]:8443')
      expect(noProxyMatch(https, 'KASM.Example.COM')).to.equal('KASM.Example.COM')
      expect(noProxyMatch(https, '*')).to.equal('*')
      expect(proxyFor(https, {HTTPS_PROXY: 'http://proxy:3128', no_proxy: 'example.com'})).to.deep.equal({reason: 'NO_PROXY entry example.com'})
    })

    it('refuses a proxy it cannot use, naming the variable', () => {
      expect(() => proxyFor(https, {HTTPS_PROXY: 'https://proxy:3128'})).to.throw(ConfigError, /HTTPS_PROXY: only http:\/\/ proxies/)
      expect(() => proxyFor(https, {HTTPS_PROXY: 'http://bad host'})).to.throw(ConfigError, /HTTPS_PROXY is not a URL/)
    })
  })

  describe('through a real CONNECT proxy to the sandbox', () => {
    let sandbox: TestSandbox
    let proxy: ForwardProxy
    const open: HttpTransport[] = []

    before(async () => {
      sandbox = await useSandbox()
    })

    beforeEach(async () => {
      proxy = await startForwardProxy({credentials: 'ops:s3cret'})
    })

    afterEach(async () => {
      for (const transport of open.splice(0)) transport.close()
      await proxy.close()
    })

    async function transport(env: NodeJS.ProcessEnv, debug?: (line: string) => void): Promise<HttpTransport> {
      const caPem = await readFile(sandbox.context.api.tls!.caFile!, 'utf8')
      const t = new HttpTransport({caPem, debug, env, timeoutMs: 10_000})
      open.push(t)
      return t
    }

    async function getZones(t: HttpTransport, base: string): Promise<{status: number; zones: string[]}> {
      const {key, secret} = await credentials(sandbox, 'admin')
      const response = await t.request('POST', `${base}/api/public/get_zones`, JSON.stringify({api_key: key, api_key_secret: secret}))
      return {status: response.status, zones: (JSON.parse(response.body) as {zones: Array<{zone_name: string}>}).zones.map((z) => z.zone_name)}
    }

    it('tunnels HTTPS with CONNECT, TLS end to end (the sandbox CA still verifies), with the proxy credentials', async () => {
      const base = proxyUrl(sandbox, 'https')
      const lines: string[] = []
      const t = await transport({HTTPS_PROXY: proxy.url.replace('//', '//ops:s3cret@')}, (line) => lines.push(line))
      expect(await getZones(t, base)).to.deep.equal({status: 200, zones: ['default', 'east', 'enclave']})
      await getZones(t, base)
      // Kept alive: one tunnel for both requests.
      expect(proxy.connects).to.deep.equal([new URL(base).host])
      expect(proxy.authorizations).to.deep.equal([`Basic ${Buffer.from('ops:s3cret').toString('base64')}`])
      expect(lines).to.deep.equal([`${base} via proxy ${proxy.url.replace('//', '//ops:***@')} (HTTPS_PROXY)`])
    })

    it('sends plain HTTP to the proxy with the absolute URL (http_proxy)', async () => {
      const base = webappUrl(sandbox)
      const t = await transport({http_proxy: proxy.url.replace('//', '//ops:s3cret@')})
      expect((await getZones(t, base)).status).to.equal(200)
      expect(proxy.requests).to.deep.equal([`${base}/api/public/get_zones`])
    })

    it('connects directly when NO_PROXY names the host, and the proxy sees nothing', async () => {
      const lines: string[] = []
      const t = await transport({HTTPS_PROXY: proxy.url, NO_PROXY: 'kasm.example.com,127.0.0.1'}, (line) => lines.push(line))
      expect((await getZones(t, proxyUrl(sandbox, 'https'))).status).to.equal(200)
      expect(proxy.connects).to.deep.equal([])
      expect(lines[0]).to.match(/directly \(NO_PROXY entry 127\.0\.0\.1\)$/)
    })

    it('fails with the proxy named when the proxy refuses the tunnel', async () => {
      const t = await transport({HTTPS_PROXY: proxy.url}) // no credentials: 407
      const error = await t.request('POST', `${proxyUrl(sandbox, 'https')}/api/public/get_zones`, '{}').then(
        () => undefined,
        (error_: unknown) => error_,
      )
      expect(error).to.be.instanceOf(NetworkError)
      expect((error as NetworkError).message).to.match(/refused CONNECT 127\.0\.0\.1:\d+: HTTP 407/)
      expect((error as NetworkError).via).to.equal(proxy.url)
    })

    it('kasmctl goes through HTTPS_PROXY, and --verbose says which proxy it used', async () => {
      const withProxy = {...sandbox.env, HTTPS_PROXY: proxy.url.replace('//', '//ops:s3cret@')}
      const result = await runCli(['zone', 'list', '--json', '--verbose'], {env: withProxy})
      expect(result.exitCode, result.stderr).to.equal(0)
      expect((JSON.parse(result.stdout) as {zones: unknown[]}).zones).to.have.length(3)
      // The read asked early (by curl, early-send.ts) went through the same proxy, with its credentials.
      expect(result.stderr).to.match(/get_zones -> HTTP 200 \(asked early/)
      expect(proxy.connects).to.have.length(1)
      expect(proxy.authorizations).to.deep.equal([`Basic ${Buffer.from('ops:s3cret').toString('base64')}`])
      expect(result.stderr).to.include(`via proxy ${proxy.url.replace('//', '//ops:***@')} (HTTPS_PROXY)`).and.not.include('s3cret')
      const bypassed = await runCli(['zone', 'list', '--json', '--verbose'], {env: {...withProxy, no_proxy: '127.0.0.1'}})
      expect(bypassed.exitCode).to.equal(0)
      expect(bypassed.stderr).to.match(/get_zones -> HTTP 200 \(asked early/)
      expect(proxy.connects).to.have.length(1)
      expect(bypassed.stderr).to.include('directly (NO_PROXY entry 127.0.0.1)')
    })

    it('kasmctl names the proxy when it cannot get through', async () => {
      await proxy.close()
      const result = await runCli(['zone', 'list'], {env: {...sandbox.env, HTTPS_PROXY: proxy.url}})
      expect(result.exitCode).to.equal(69)
      expect(result.stderr).to.include(`through proxy ${proxy.url}: connection refused`).and.include('NO_PROXY')
      proxy = await startForwardProxy()
    })
  })
})
