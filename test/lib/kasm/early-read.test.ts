import {expect} from 'chai'

import {globalFlagSpecs} from '../../../src/base-command.js'
import {KasmClient} from '../../../src/lib/kasm/client.js'
import {offerEarlyAnswer, takeEarlyAnswer} from '../../../src/lib/kasm/early-answers.js'
import {EarlyReadRelay, earlyReadsFor, FIRST_READS, LEADING_FLAGS} from '../../../src/lib/kasm/early-read.js'
import {HEALTH_ROLES, HEALTH_ROLES_READING_ZONES} from '../../../src/lib/health/types.js'
import {NetworkError} from '../../../src/lib/kasm/transport.js'
import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

/**
 * A read-only API command has a worker ask its first reads while oclif loads (bin/run.js); its own
 * client takes an answer only for the very same request.
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

  describe('the relay between the worker and the client', () => {
    let holds: boolean[]
    let relay: EarlyReadRelay
    beforeEach(() => {
      holds = []
      relay = new EarlyReadRelay((waiting) => holds.push(waiting))
    })

    it('holds the process open only while the command waits for an answer', async () => {
      relay.onMessage({key: 'k1', type: 'asked'})
      expect(holds).to.deep.equal([])
      const answer = takeEarlyAnswer('k1')!
      expect(holds).to.deep.equal([true])
      relay.onMessage({key: 'k1', response: {body: '{}', status: 200}, type: 'answer'})
      expect(await answer).to.deep.equal({body: '{}', status: 200})
      expect(holds).to.deep.equal([true, false])
      expect(takeEarlyAnswer('k1')).to.equal(undefined)
    })

    it('an answer taken after it came holds nothing', async () => {
      relay.onMessage({key: 'k2', type: 'asked'})
      relay.onMessage({key: 'k2', response: {body: '{}', status: 200}, type: 'answer'})
      expect(await takeEarlyAnswer('k2')).to.deep.equal({body: '{}', status: 200})
      expect(holds).to.deep.equal([false])
    })

    it('a network failure, or a worker that ends without answering, fails as a network error (the client retries on its own)', async () => {
      relay.onMessage({key: 'k3', type: 'asked'})
      relay.onMessage({key: 'k4', type: 'asked'})
      const refused = takeEarlyAnswer('k3')!.catch((error: unknown) => error)
      const ended = takeEarlyAnswer('k4')!.catch((error: unknown) => error)
      relay.onMessage({code: 'ECONNREFUSED', key: 'k3', message: 'connect ECONNREFUSED', type: 'failed'})
      await relay.onExit()
      expect(await refused).to.be.instanceOf(NetworkError).and.include({code: 'ECONNREFUSED'})
      expect(await ended).to.be.instanceOf(NetworkError).and.include({code: 'ERR_EARLY_READ'})
      expect(holds.at(-1)).to.equal(false)
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
        const {key, response} = asker.ask('get_zones')
        await response
        const body = JSON.stringify({zones: [{zone_id: 'f'.repeat(32), zone_name: 'asked-early'}]})
        offerEarlyAnswer(key, async () => ({body, status: 200}))
      }

      it('for the same request, once', async () => {
        const kasm = await client()
        await offerMadeUpZones(await client())
        expect((await kasm.getZones()).map((z) => z.zone_name)).to.deep.equal(['asked-early'])
        expect((await kasm.getZones()).map((z) => z.zone_name)).to.not.include('asked-early')
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
