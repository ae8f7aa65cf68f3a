import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createServer} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {rootCertificates} from 'node:tls'

import {curlConfig, curlMismatch, curlOutcome, nodeRootsFile, sendWithCurl} from '../../../src/lib/kasm/curl.js'
import {DEFAULT_TIMEOUT_MS, prepareRequest} from '../../../src/lib/kasm/request.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {credentials} from '../sandbox/simulator/raw.js'

/** curl sends the early reads (early-send.ts): it must trust, route and send exactly what the API client would. */
describe('early reads through curl', () => {
  const request = {body: '{"api_key":"K","api_key_secret":"p\\"w\\\\d"}', headers: {}, key: 'k', timeoutMs: 15_000, url: 'https://kasm.lab:8443/api/public/get_zones'}
  const noRoots = (): string => {
    throw new Error('the Node roots are not needed here')
  }

  describe('its config (read from stdin, never its command line)', () => {
    it('quotes every value, so that quotes, backslashes and newlines in a secret stay inside it', () => {
      const config = curlConfig({...request, caFile: '/etc/kasm "lab"/ca.pem', headers: {'api-key-secret': 'a\nb'}}, noRoots, {})
      expect(config).to.include('data-binary = "{\\"api_key\\":\\"K\\",\\"api_key_secret\\":\\"p\\\\\\"w\\\\\\\\d\\"}"')
      expect(config).to.include('header = "api-key-secret: a\\nb"')
      expect(config).to.include('cacert = "/etc/kasm \\"lab\\"/ca.pem"')
      // One option per line: nothing a value holds can start an option of its own.
      for (const line of config.trimEnd().split('\n')) expect(line).to.match(/^[a-z][a-z0-9.-]*( = ".*")?$|^max-time = [\d.]+$/)
    })

    it("trusts the context's CA file alone, never curl's system CA directory", () => {
      const config = curlConfig({...request, caFile: '/etc/kasm/ca.pem'}, noRoots, {})
      expect(config).to.include('cacert = "/etc/kasm/ca.pem"').and.match(/capath = "\/nonexistent\//)
      expect(config).to.not.include('insecure')
    })

    it("without a CA file, trusts Node's bundled CAs; with tls.insecure, verifies nothing, as the client", () => {
      expect(curlConfig(request, () => '/cache/roots.pem', {})).to.include('cacert = "/cache/roots.pem"')
      const insecure = curlConfig({...request, insecure: true}, noRoots, {})
      expect(insecure).to.match(/^insecure$/m).and.not.include('cacert')
    })

    it('goes through the proxy kasmctl chooses, or directly with every other proxy setting ignored', () => {
      const roots = (): string => '/cache/roots.pem'
      expect(curlConfig(request, roots, {HTTPS_PROXY: 'http://ops:pw@proxy:3128'}).split('\n')).to.include('proxy = "http://ops:pw@proxy:3128/"')
      expect(curlConfig(request, roots, {HTTPS_PROXY: 'http://proxy:3128', NO_PROXY: '.lab'}).split('\n')).to.include('noproxy = "*"')
      expect(curlConfig(request, roots, {http_proxy: 'http://proxy:3128'}).split('\n')).to.include('noproxy = "*"')
    })

    it('sends the same request as the client: POST, JSON, no 100-continue, the same timeout', () => {
      const lines = curlConfig({...request, caFile: '/etc/kasm/ca.pem'}, noRoots, {}).split('\n')
      expect(lines).to.include.members(['request = "POST"', 'header = "Content-Type: application/json"', 'header = "Expect:"', 'max-time = 15', 'http1.1', 'tlsv1.2'])
    })
  })

  describe('when it is not used', () => {
    it('when Node would trust more CAs than curl is given: NODE_EXTRA_CA_CERTS, --use-openssl-ca, --use-system-ca', () => {
      expect(curlMismatch(request, {NODE_EXTRA_CA_CERTS: '/corp/ca.pem'}, [])).to.include('NODE_EXTRA_CA_CERTS')
      expect(curlMismatch(request, {NODE_OPTIONS: '--use-openssl-ca'}, [])).to.include('system CAs')
      expect(curlMismatch(request, {}, ['--use-system-ca'])).to.include('system CAs')
      // A context's own CA file replaces them all, for Node as for curl.
      expect(curlMismatch({...request, caFile: '/etc/kasm/ca.pem'}, {NODE_EXTRA_CA_CERTS: '/corp/ca.pem'}, [])).to.equal(undefined)
      expect(curlMismatch(request, {}, [])).to.equal(undefined)
    })

    it('when the proxy setting is one the client refuses (the command reports it)', () => {
      expect(curlMismatch(request, {HTTPS_PROXY: 'socks5://proxy:1080'}, [])).to.include('only http:// proxies')
    })
  })

  describe('its outcome', () => {
    it('is the HTTP answer: the body, then the status curl writes after it', () => {
      expect(curlOutcome(0, '{"zones":[]}\n200')).to.deep.equal({body: '{"zones":[]}', status: 200})
      expect(curlOutcome(0, 'line 1\nline 2\n502')).to.deep.equal({body: 'line 1\nline 2', status: 502})
    })

    it('is a network failure the client counts as its first attempt when Node would meet the same (refused, timed out)', () => {
      expect(curlOutcome(7, '\n000')).to.deep.include({failure: {code: 'ECONNREFUSED', message: 'curl exited with 7 (ECONNREFUSED)'}})
      expect(curlOutcome(28, '\n000')).to.deep.include({failure: {code: 'ETIMEDOUT', message: 'curl exited with 28 (ETIMEDOUT)'}})
    })

    it('is nothing for any other failure (TLS, DNS, a killed curl): the client asks itself and reports its own error', () => {
      for (const code of [6, 35, 51, 60, 77, null]) expect(curlOutcome(code, '\n000')).to.equal(undefined)
      expect(curlOutcome(0, '\n000')).to.equal(undefined)
    })
  })

  describe("Node's bundled CAs as a file", () => {
    let cache: string
    beforeEach(async () => {
      cache = await mkdtemp(join(tmpdir(), 'kasmctl-roots-'))
    })
    afterEach(async () => {
      await rm(cache, {force: true, recursive: true})
    })

    it('are written once per Node version under the cache directory, exactly the CAs Node trusts', async () => {
      const file = nodeRootsFile({XDG_CACHE_HOME: cache})
      expect(file).to.equal(join(cache, 'kasmctl', `node-${process.version}-root-cas.pem`))
      expect(await readFile(file, 'utf8')).to.equal(`${rootCertificates.join('\n')}\n`)
      await writeFile(file, 'kept')
      expect(nodeRootsFile({XDG_CACHE_HOME: cache})).to.equal(file)
      expect(await readFile(file, 'utf8')).to.equal('kept')
    })
  })

  describe('against the sandbox, with the real curl', () => {
    let sandbox: TestSandbox
    let dir: string
    before(async () => {
      sandbox = await useSandbox()
      dir = await mkdtemp(join(tmpdir(), 'kasmctl-curl-'))
    })
    after(async () => {
      await rm(dir, {force: true, recursive: true})
    })

    async function zonesRequest(): Promise<ReturnType<typeof prepareRequest>> {
      const {key, secret} = await credentials(sandbox, 'admin')
      return prepareRequest({apiKey: key, apiSecret: secret, url: sandbox.context.api.url}, 'get_zones')
    }

    it("gets Kasm's answer, trusting the sandbox CA file", async () => {
      const {outcome} = sendWithCurl({...(await zonesRequest()), caFile: sandbox.context.api.tls!.caFile, timeoutMs: DEFAULT_TIMEOUT_MS}, {PATH: process.env.PATH})
      const answer = (await outcome) as {body: string; status: number}
      expect(answer.status).to.equal(200)
      expect((JSON.parse(answer.body) as {zones: Array<{zone_name: string}>}).zones.map((z) => z.zone_name)).to.include('default')
    })

    it("gives nothing when the server's certificate is not signed by a trusted CA, with Node's CAs or another CA file", async () => {
      const otherCa = join(dir, 'other-ca.pem')
      await writeFile(otherCa, `${rootCertificates[0]}\n`)
      const withOther = sendWithCurl({...(await zonesRequest()), caFile: otherCa, timeoutMs: DEFAULT_TIMEOUT_MS}, {PATH: process.env.PATH})
      expect(await withOther.outcome).to.equal(undefined)
      const withNodeRoots = sendWithCurl({...(await zonesRequest()), timeoutMs: DEFAULT_TIMEOUT_MS}, {PATH: process.env.PATH, XDG_CACHE_HOME: dir})
      expect(await withNodeRoots.outcome).to.equal(undefined)
    })

    it('reports a refused connection as the network failure it is', async () => {
      const port = await unusedPort()
      const {outcome} = sendWithCurl({...(await zonesRequest()), caFile: sandbox.context.api.tls!.caFile, timeoutMs: DEFAULT_TIMEOUT_MS, url: `https://127.0.0.1:${port}/api/public/get_zones`}, {PATH: process.env.PATH})
      expect(await outcome).to.deep.include({failure: {code: 'ECONNREFUSED', message: 'curl exited with 7 (ECONNREFUSED)'}})
    })

    it('has the whole request at once: curl answers while the process is still busy, not once the event loop turns', async () => {
      // bin/run.js goes on loading oclif synchronously (~80 ms): curl must not wait for it to see the end of its config.
      const bin = join(dir, 'bin')
      await mkdir(bin, {recursive: true})
      const real = execFileSync('sh', ['-c', 'command -v curl'], {encoding: 'utf8'}).trim()
      const finished = join(dir, 'curl-finished')
      await writeFile(join(bin, 'curl'), `#!/bin/sh\n'${real}' "$@"\nstatus=$?\n: > '${finished}'\nexit $status\n`, {mode: 0o755})
      const {outcome} = sendWithCurl({...(await zonesRequest()), caFile: sandbox.context.api.tls!.caFile, timeoutMs: DEFAULT_TIMEOUT_MS}, {PATH: `${bin}:${process.env.PATH}`})
      const sleeper = new Int32Array(new SharedArrayBuffer(4))
      const blockedUntil = Date.now() + 10_000
      while (!existsSync(finished) && Date.now() < blockedUntil) Atomics.wait(sleeper, 0, 0, 10)
      expect(existsSync(finished), 'curl finished while the event loop was blocked').to.equal(true)
      expect(((await outcome) as {status: number}).status).to.equal(200)
    })

    it('gives nothing when there is no curl to run', async () => {
      const {outcome} = sendWithCurl({...(await zonesRequest()), caFile: sandbox.context.api.tls!.caFile, timeoutMs: DEFAULT_TIMEOUT_MS}, {PATH: dir})
      expect(await outcome).to.equal(undefined)
    })
  })
})

/** A port nothing listens on (it was free a moment ago). */
async function unusedPort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const {port} = server.address() as {port: number}
  await new Promise<void>((resolve) => server.close(() => resolve()))
  return port
}
