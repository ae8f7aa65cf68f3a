import {expect} from 'chai'
import {execFileSync} from 'node:child_process'
import {mkdir, mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import vm from 'node:vm'

import {runCli} from '../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../helpers/sandbox.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))
/** The loader as bin/run.js requires it: each case runs it in a Node process of its own, as kasmctl does. */
const LOADER = join(ROOT, 'dist', 'lib', 'code-cache.cjs')

/** A bundle as scripts/bundle.mjs writes one: strict CommonJS, import() of packages through the loader's when it passes one. */
const BUNDLE = `"use strict";
var __kasmctlImport = typeof __kasmctlImport === "function" ? __kasmctlImport : (specifier) => import(specifier);
const {join} = require("node:path");
function square(n) { return n * n; }
exports.run = async () => ({
  sum: [1, 2, 3].map(square).reduce((a, b) => a + b, 0),
  joined: join("a", "b"),
  file: __filename,
  dir: __dirname,
  strict: (function () { return this; })() === undefined,
  os: typeof (await __kasmctlImport("node:os")).cpus,
  chalk: typeof (await __kasmctlImport("chalk")).Chalk,
});
`

describe("V8's code cache for kasmctl's bundles (bin/run.js)", () => {
  let dir: string
  let bundles: string
  let cache: string
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-code-cache-'))
    bundles = join(dir, 'dist')
    cache = join(dir, 'cache')
    await mkdir(bundles)
    await writeFile(join(bundles, 'bundle.cjs'), BUNDLE)
    await writeFile(join(dir, 'outside.cjs'), 'exports.value = 42\n')
  })
  afterEach(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  interface Run {
    compiled: Record<string, string>
    result: Record<string, unknown>
    outside: number
  }

  /** One process: the loader on, the bundle and a file outside its directory required, the bundle run. */
  function run(cacheDir = cache): Run {
    const script = `
      const compiled = require(${JSON.stringify(LOADER)}).useCodeCache({bundleDir: ${JSON.stringify(bundles)}, cacheDir: ${JSON.stringify(cacheDir)}})
      const outside = require(${JSON.stringify(join(dir, 'outside.cjs'))}).value
      require(${JSON.stringify(join(bundles, 'bundle.cjs'))}).run().then((result) => console.log(JSON.stringify({compiled: Object.fromEntries(compiled), outside, result})))
    `
    return JSON.parse(execFileSync(process.execPath, ['-e', script], {cwd: dir, encoding: 'utf8'})) as Run
  }

  async function cacheFiles(): Promise<string[]> {
    const [versionDir] = await readdir(cache)
    return (await readdir(join(cache, versionDir))).map((name) => join(cache, versionDir, name))
  }

  const bundle = () => join(bundles, 'bundle.cjs')

  it('compiles a bundle from source once, then from the cache its first run left', () => {
    expect(run().compiled).to.deep.equal({[bundle()]: 'source'})
    expect(run().compiled).to.deep.equal({[bundle()]: 'cache'})
  })

  it('writes the cache after the run, with the functions that ran, private to the user', async () => {
    run()
    const [file] = await cacheFiles()
    expect(file).to.include(`v8-${process.versions.v8}-${process.arch}`)
    expect((await stat(file)).mode & 0o777).to.equal(0o600)
    expect((await stat(join(file, '..'))).mode & 0o777).to.equal(0o700)
    // A cache made when the code is compiled, as Node's compile cache is, holds the top level only.
    const atCompile = new vm.Script(`(function (exports, require, module, __filename, __dirname, __kasmctlImport) { ${BUNDLE}\n});`).createCachedData()
    expect((await readFile(file)).length).to.be.greaterThan(atCompile.length)
  })

  it('runs cached code as the bundle it is: strict CommonJS, its own require, __filename and __dirname, import() of packages', () => {
    run()
    const {result} = run()
    expect(result).to.deep.equal({chalk: 'function', dir: bundles, file: bundle(), joined: join('a', 'b'), os: 'function', strict: true, sum: 14})
  })

  it('compiles a rebuilt bundle from source, and removes the cache of the build before', async () => {
    run()
    const [before] = await cacheFiles()
    await writeFile(bundle(), `${BUNDLE}// rebuilt\n`)
    expect(run().compiled).to.deep.equal({[bundle()]: 'source'})
    const after = await cacheFiles()
    expect(after).to.have.length(1).and.not.include(before)
    expect(run().compiled).to.deep.equal({[bundle()]: 'cache'})
  })

  it('replaces a cache V8 rejects, and runs the bundle from source meanwhile', async () => {
    run()
    const [file] = await cacheFiles()
    await writeFile(file, 'not a code cache')
    const rejected = run()
    expect(rejected.compiled).to.deep.equal({[bundle()]: 'source, cache rejected'})
    expect(rejected.result.sum).to.equal(14)
    expect(run().compiled).to.deep.equal({[bundle()]: 'cache'})
  })

  it('leaves every file outside the bundle directory to Node', () => {
    const {compiled, outside} = run()
    expect(Object.keys(compiled)).to.deep.equal([bundle()])
    expect(outside).to.equal(42)
  })

  it('costs nothing but the cache when its directory cannot be made', async () => {
    const blocked = join(dir, 'a-file')
    await writeFile(blocked, '')
    const cacheDir = join(blocked, 'cache')
    expect(run(cacheDir).compiled).to.deep.equal({[bundle()]: 'source'})
    const again = run(cacheDir)
    expect(again.compiled).to.deep.equal({[bundle()]: 'source'})
    expect(again.result.sum).to.equal(14)
  })

  describe('kasmctl', () => {
    let sandbox: TestSandbox
    before(async () => {
      sandbox = await useSandbox()
    })

    it('caches each bundle a command ran, the early reads\' sending whichever command ran first, and runs from the caches alike', async () => {
      const {NO_COLOR: _, ...uncoloured} = sandbox.env
      const env = {...uncoloured, FORCE_COLOR: '1', XDG_CACHE_HOME: join(dir, 'xdg')}
      const caches = join(dir, 'xdg', 'kasmctl', 'code-cache', `v8-${process.versions.v8}-${process.arch}`)
      const cached = async () => (await readdir(caches)).map((name) => name.replace(/-\d+-\d+\.v8$/, '').split('%').slice(-3).join('/'))
      expect((await runCli(['context', 'current'], {env})).exitCode).to.equal(0)
      expect(await cached()).to.have.members(['lib/kasm/early-read.bundle.cjs', 'lib/kasm/early-answers.cjs', 'dist/lib/command-id-order.cjs', 'commands/context/current.cjs'])
      const listed = await runCli(['zone', 'list'], {env})
      expect(listed.exitCode, listed.stderr).to.equal(0)
      expect(await cached()).to.include.members(['lib/kasm/early-send.bundle.cjs', 'commands/zone/list.cjs'])
      expect((await runCli(['zone', 'list'], {env})).stdout.split('\n')[0]).to.equal(listed.stdout.split('\n')[0])

      // An error is printed in colour: chalk, an ES module, imported by the command's code once it comes from the cache.
      const failed = await runCli(['zone', 'get', 'no-such-zone'], {env})
      const again = await runCli(['zone', 'get', 'no-such-zone'], {env})
      expect(failed.stderr).to.include('\u001B[31mError:')
      expect(again.stderr).to.equal(failed.stderr)
      expect(again.exitCode).to.equal(64)
    })
  })
})
