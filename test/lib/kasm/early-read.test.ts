import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {rootCertificates} from 'node:tls'

import {globalFlagSpecs} from '../../../src/base-command.js'
import {KasmClient} from '../../../src/lib/kasm/client.js'
import {offerEarlyAnswer} from '../../../src/lib/kasm/early-answers.js'
import {earlyReadsFor, FIRST_READS, LEADING_FLAGS} from '../../../src/lib/kasm/early-read.js'
import {HEALTH_ROLES, HEALTH_ROLES_READING_ZONES} from '../../../src/lib/health/types.js'
import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

/**
 * A read-only API command has curl ask its first reads while oclif loads (bin/run.js); its own
 * client takes an answer only for the very same request, and asks itself when there is none.
 */
describe('early reads', () => {
  describe('which reads a command line asks early', () => {
    it('finds the command after global flags, and the --context given before or after it', () => {
      const zones = [{body: {}, method: 'get_zones'}]
      expect(earlyReadsFor(['zone', 'list'])).to.deep.equal({context: undefined, reads: zones})
      expect(earlyReadsFor(['--context', 'lab', '-o', 'json', 'zone', 'list'])).to.deep.equal({context: 'lab', reads: zones})
      expect(earlyReadsFor(['zone', 'get', 'default', '--context=lab'])?.context).to.equal('lab')
      expect(earlyReadsFor(['health', '--json'])?.reads[0]).to.deep.equal({body: {brief: true}, method: 'get_zones'})
    })

    it('asks nothing for a command that changes something, an unknown command, or an ambiguous --context', () => {
      expect(earlyReadsFor(['zone', 'set', 'default', '--search-alternate=false'])).to.equal(undefined)
      expect(earlyReadsFor(['--version'])).to.equal(undefined)
      expect(earlyReadsFor(['nosuch', 'list'])).to.equal(undefined)
      expect(earlyReadsFor(['zone', 'list', '--context', 'a', '--context', 'b'])).to.equal(undefined)
      expect(earlyReadsFor(['zone', 'list', '--context'])).to.equal(undefined)
      expect(earlyReadsFor(['--', 'zone', 'list'])).to.equal(undefined)
    })

    it('health asks early only when a role it checks reads the zones', () => {
      expect(earlyReadsFor(['health', '--role', 'db'])).to.equal(undefined)
      expect(earlyReadsFor(['health', '--role=webapp,backup', '--json'])).to.equal(undefined)
      expect(earlyReadsFor(['health', '--role', 'db', '--role', 'agent'])?.reads[0].method).to.equal('get_zones')
      expect(earlyReadsFor(['health', '--role=db,api'])?.reads[0].method).to.equal('get_zones')
      expect(earlyReadsFor(['health', '--role', 'zone'])).to.equal(undefined)
      expect(earlyReadsFor(['health'])?.reads[0].method).to.equal('get_zones')
    })

    it('knows the same global flags as the base command', () => {
      expect(LEADING_FLAGS).to.deep.equal(JSON.parse(JSON.stringify(globalFlagSpecs())))
    })
  })

  describe('against the sandbox', () => {
    let sandbox: TestSandbox

    before(async () => {
      sandbox = await useSandbox()
      await sandbox.reset()
    })

    afterEach(async () => {
      await sandbox.clearFaults()
    })

    const EXTRA_ARGS: Record<string, string[]> = {'zone get': ['default']}
    // bin/run.js starts the early reads; bin/dev.js (the sources through tsx) runs without them.
    const bin = 'bin/run.js'
    for (const [command, reads] of Object.entries(FIRST_READS)) {
      const methods = reads.map((r) => r.method)
      it(`\`${command}\` takes the answers to ${methods.join(', ')} that were asked while it started`, async () => {
        const result = await runCli([...command.split(' '), ...(EXTRA_ARGS[command] ?? []), '--json', '--verbose'], {bin, env: sandbox.env})
        // zone lint and health report what they find in their exit code (0-2); 3 or 64 would be a failure to run.
        expect(result.exitCode, result.stderr).to.be.oneOf([0, 1, 2])
        for (const method of methods) {
          const first = result.stderr.split('\n').find((line) => line.includes(`/api/public/${method} ->`))
          expect(first, `${method} in:\n${result.stderr}`).to.match(/HTTP 200 \(asked early, \d+ ms\)$/)
        }
      })
    }

    for (const role of HEALTH_ROLES) {
      const reads = HEALTH_ROLES_READING_ZONES.includes(role)
      it(`\`health --role ${role}\` ${reads ? 'takes the zones asked early' : 'has nothing asked early, and asks Kasm what it needs itself'}`, async () => {
        expect(Boolean(earlyReadsFor(['health', '--role', role]))).to.equal(reads)
        const result = await runCli(['health', '--role', role, '--json', '--verbose'], {bin, env: sandbox.env})
        expect(result.exitCode, result.stderr).to.be.oneOf([0, 1, 2])
        const zonesLine = result.stderr.split('\n').find((line) => line.includes('/api/public/get_zones ->'))
        if (reads) expect(zonesLine, result.stderr).to.match(/HTTP 200 \(asked early, \d+ ms\)$/)
        else expect(zonesLine ?? '', result.stderr).to.not.include('asked early')
      })
    }

    it('a command that fails before asking exits at once: the read still in flight holds nothing', async function () {
      this.timeout(20_000)
      await sandbox.fault({kind: 'webapp-delay', ms: 60_000, target: 'webapp-1'})
      await sandbox.fault({kind: 'webapp-delay', ms: 60_000, target: 'webapp-2'})
      const result = await runCli(['zone', 'list', '--no-such-flag'], {bin, env: sandbox.env, timeoutMs: 15_000})
      expect(result.exitCode).to.equal(64)
      expect(result.stderr).to.contain('--no-such-flag')
    })

    describe('what curl is given, and what comes of its failures', () => {
      let dir: string
      before(async () => {
        dir = await mkdtemp(join(tmpdir(), 'kasmctl-early-'))
      })
      after(async () => {
        await rm(dir, {force: true, recursive: true})
      })

      /** A PATH whose curl records its arguments and what it read on stdin, then runs the real curl on them. */
      async function recordingCurl(): Promise<{path: string; argv: () => Promise<string>; stdin: () => Promise<string>}> {
        const bin = join(dir, 'bin')
        await mkdir(bin, {recursive: true})
        const real = execFileSync('sh', ['-c', 'command -v curl'], {encoding: 'utf8'}).trim()
        await writeFile(
          join(bin, 'curl'),
          `#!/bin/sh\nprintf '%s\\n' "$@" > '${dir}/argv'\ntee '${dir}/stdin' | exec '${real}' "$@"\n`,
          {mode: 0o755},
        )
        return {argv: () => readFile(join(dir, 'argv'), 'utf8'), path: `${bin}:${process.env.PATH}`, stdin: () => readFile(join(dir, 'stdin'), 'utf8')}
      }

      it('the API secret reaches curl on its stdin, never on its command line', async () => {
        const curl = await recordingCurl()
        const result = await runCli(['zone', 'list', '--json', '--verbose'], {bin, env: {...sandbox.env, PATH: curl.path}})
        expect(result.exitCode, result.stderr).to.equal(0)
        expect(result.stderr).to.match(/get_zones -> HTTP 200 \(asked early, \d+ ms\)/)
        const secret = (await readFile(sandbox.context.api.secret!.file!, 'utf8')).trim()
        expect(await curl.argv()).to.equal('--disable\n--config\n-\n')
        expect(await curl.stdin()).to.include(secret)
      })

      it('without curl, the command asks Kasm itself', async () => {
        const result = await runCli(['zone', 'list', '--json', '--verbose'], {bin, env: {...sandbox.env, PATH: dir}})
        expect(result.exitCode, result.stderr).to.equal(0)
        expect(result.stderr).to.match(/get_zones -> HTTP 200 \(\d+ ms\)/).and.not.include('asked early')
      })

      it("a certificate curl cannot verify gives no answer: the command's own request reports the TLS error, with its hint", async () => {
        const otherCa = join(dir, 'other-ca.pem')
        await writeFile(otherCa, `${rootCertificates[0]}\n`)
        const secret = (await readFile(sandbox.context.api.secret!.file!, 'utf8')).trim()
        const env = {
          KASMCTL_API_KEY: sandbox.context.api.key,
          KASMCTL_API_SECRET: secret,
          KASMCTL_API_URL: sandbox.context.api.url,
          KASMCTL_CA_FILE: otherCa,
          KASMCTL_CONFIG: join(dir, 'no-config.yaml'),
          NO_COLOR: '1',
          PATH: process.env.PATH,
        }
        const result = await runCli(['zone', 'list', '--verbose'], {bin, env})
        expect(result.exitCode).to.equal(69)
        expect(result.stderr).to.include('TLS error talking to').and.include('--ca-file').and.not.include('asked early')
      })

      it('the context is read once: a warning about the config file comes once', async () => {
        const config = join(dir, 'config.yaml')
        await writeFile(config, await readFile(sandbox.env.KASMCTL_CONFIG!, 'utf8'), {mode: 0o644})
        await chmod(config, 0o644)
        const result = await runCli(['zone', 'list', '--json', '--verbose'], {bin, env: {...sandbox.env, KASMCTL_CONFIG: config}})
        expect(result.exitCode, result.stderr).to.equal(0)
        expect(result.stderr).to.match(/asked early/)
        expect(result.stderr.split('readable by others')).to.have.length(2)
        expect((JSON.parse(result.stdout) as {warnings: string[]}).warnings).to.have.length(1)
      })
    })

    describe('the client takes an answer asked early', () => {
      const open: KasmClient[] = []
      afterEach(() => {
        for (const client of open.splice(0)) client.close()
      })

      async function client(change: {apiSecret?: string; insecure?: boolean; timeoutMs?: number} = {}): Promise<KasmClient> {
        const made = await KasmClient.fromContext(sandbox.context)
        const options = (made as unknown as {options: Record<string, unknown>}).options
        Object.assign(options, change)
        open.push(made)
        return made
      }

      /** Offers a made-up answer for the request `asker` would send for get_zones. */
      async function offerMadeUpZones(asker: KasmClient): Promise<void> {
        const {key} = asker.prepared('get_zones')
        const body = JSON.stringify({zones: [{zone_id: 'f'.repeat(32), zone_name: 'asked-early'}]})
        offerEarlyAnswer(key, async () => ({body, status: 200}))
      }

      it('for the same request, once', async () => {
        const kasm = await client()
        await offerMadeUpZones(await client())
        expect((await kasm.getZones()).map((z) => z.zone_name)).to.deep.equal(['asked-early'])
        expect((await kasm.getZones()).map((z) => z.zone_name)).to.not.include('asked-early')
      })

      it('a network failure asked early is the first attempt; no answer at all, and the client asks itself at once', async () => {
        const refused = await client()
        Object.assign((refused as unknown as {options: Record<string, unknown>}).options, {retries: 0})
        offerEarlyAnswer(refused.prepared('get_zones').key, async () => ({failure: {code: 'ECONNREFUSED', message: 'curl exited with 7 (ECONNREFUSED)'}}))
        expect(await refused.getZones().then(() => 'answered', (error: Error) => error.message)).to.match(/connection refused/)
        const unanswered = await client()
        Object.assign((unanswered as unknown as {options: Record<string, unknown>}).options, {retries: 0})
        offerEarlyAnswer(unanswered.prepared('get_zones').key, async () => undefined)
        expect((await unanswered.getZones()).map((z) => z.zone_name)).to.include('default')
      })

      it('never for a request with other credentials, other TLS trust or a shorter timeout', async () => {
        await offerMadeUpZones(await client())
        const otherSecret = await client({apiSecret: 'not-the-secret'})
        // Its own request reaches Kasm, which refuses the wrong secret.
        expect(await otherSecret.getZones().then(() => 'answered', (error: Error) => error.constructor.name)).to.equal('AuthError')
        const insecure = await client({insecure: true})
        expect((await insecure.getZones()).map((z) => z.zone_name)).to.not.include('asked-early')
        const impatient = await client({timeoutMs: 2000})
        expect((await impatient.getZones()).map((z) => z.zone_name)).to.not.include('asked-early')
        // The offer is still there for the request it was made for.
        expect((await (await client()).getZones()).map((z) => z.zone_name)).to.deep.equal(['asked-early'])
      })
    })
  })
})
