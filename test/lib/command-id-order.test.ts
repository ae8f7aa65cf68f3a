import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {runCli} from '../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../helpers/sandbox.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
/** As bin/run.js requires it. It patches a global, so each case runs it in a Node process of its own. */
const MODULE = join(ROOT, 'dist', 'lib', 'command-id-order.cjs')

/**
 * Counts the calls that reach String#localeCompare as Node has it, which builds an ICU collator on the first: loaded
 * with --require, it wraps the method before kasmctl's patch does, and reports the count at exit.
 */
const COUNT_ICU_CALLS = `const localeCompare = String.prototype.localeCompare
let calls = 0
String.prototype.localeCompare = function (...args) { calls++; return localeCompare.apply(this, args) }
process.on('exit', () => require('node:fs').writeSync(2, 'ICU calls: ' + calls + '\\n'))
`

describe("oclif's sort of the command ids, without ICU (bin/run.js)", () => {
  let dir: string
  let counter: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-command-id-order-'))
    counter = join(dir, 'count-icu-calls.cjs')
    await writeFile(counter, COUNT_ICU_CALLS)
  })
  afterEach(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  /** Runs a script after the patch, in a Node process of its own: the JSON it printed, and the calls that reached ICU. */
  async function runScript(script: string): Promise<{printed: unknown; icuCalls: string}> {
    const file = join(dir, 'script.cjs')
    await writeFile(file, `require(${JSON.stringify(MODULE)}).sortCommandIdsWithoutIcu()\n${script}`)
    const {status, stderr, stdout} = spawnSync(process.execPath, ['--require', counter, file], {encoding: 'utf8'})
    expect(status, stderr).to.equal(0)
    return {icuCalls: stderr.trim(), printed: JSON.parse(stdout)}
  }

  it('sorts command ids case-insensitively, lowercase first, and no comparison of two ids reaches ICU', async () => {
    const {icuCalls, printed} = await runScript(`const ids = ['zone:list', 'agent:drain', '__complete', 'Zone:get', 'agent', 'backup-x', 'agent:disable']
const sorted = [...ids].sort((a, b) => a.localeCompare(b))
console.log(JSON.stringify(sorted))
`)
    expect(printed).to.deep.equal(['__complete', 'agent', 'agent:disable', 'agent:drain', 'backup-x', 'Zone:get', 'zone:list'])
    expect(icuCalls).to.equal('ICU calls: 0')
  })

  it('leaves any other comparison to localeCompare, and undoes itself once the sort it served has returned', async () => {
    const {icuCalls, printed} = await runScript(`const patched = String.prototype.localeCompare
const umlaut = 'ä'.localeCompare('z')
const withLocale = 'a'.localeCompare('b', 'en')
;['b', 'a'].sort((x, y) => x.localeCompare(y))
const duringTheTick = String.prototype.localeCompare === patched
queueMicrotask(() => console.log(JSON.stringify({umlaut, withLocale, duringTheTick, afterwards: String.prototype.localeCompare === patched})))
`)
    // ICU puts ä with a, before z; code units would put it after.
    expect(printed).to.deep.equal({afterwards: false, duringTheTick: true, umlaut: -1, withLocale: -1})
    expect(icuCalls).to.equal('ICU calls: 2')
  })

  describe('kasmctl', () => {
    let sandbox: TestSandbox
    before(async () => {
      sandbox = await useSandbox()
    })

    for (const args of [['--version'], ['zone', '--help'], ['zone', 'list', '--json']]) {
      it(`\`kasmctl ${args.join(' ')}\` builds no ICU collator`, async () => {
        const result = await runCli(args, {env: {...sandbox.env, NODE_OPTIONS: `--require ${counter}`}})
        expect(result.exitCode, result.stderr).to.equal(0)
        expect(result.stderr).to.include('ICU calls: 0')
      })
    }
  })
})
