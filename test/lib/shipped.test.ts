import {expect} from 'chai'
import {existsSync, readdirSync, readFileSync} from 'node:fs'
import {dirname, join, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {shippedFile, shippedModule} from '../../src/lib/shipped.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

describe('files shipped beside the code', () => {
  it('are found from the package root, in src/ when running the sources', () => {
    expect(shippedFile('lib/sandbox/schema.sql')).to.equal(join(ROOT, 'src', 'lib', 'sandbox', 'schema.sql'))
    expect(existsSync(shippedFile('lib/sandbox/templates/kasm.conf'))).to.equal(true)
    expect(shippedModule('lib/sandbox/daemon')).to.equal(join(ROOT, 'src', 'lib', 'sandbox', 'daemon.ts'))
  })

  describe('the build (scripts/bundle.mjs)', () => {
    /** Every file of dist/ a bundle loads, by a relative require() or import(). */
    function loadedBy(file: string, seen = new Set<string>()): Set<string> {
      seen.add(file)
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:require|import)\("(\.[^"]+)"\)/g)) {
        const target = resolve(dirname(file), specifier)
        if (!seen.has(target)) loadedBy(target, seen)
      }

      return seen
    }

    function filesUnder(dir: string): string[] {
      return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => (entry.isDirectory() ? filesUnder(join(dir, entry.name)) : [join(dir, entry.name)]))
    }

    const fromDist = (files: Iterable<string>) => [...files].map((file) => relative(join(ROOT, 'dist'), file))

    it('makes each command one CommonJS file, which loads no other file of dist/ but early-answers.cjs', () => {
      const commands = filesUnder(join(ROOT, 'dist', 'commands'))
      expect(commands.length).to.be.greaterThan(50)
      expect(commands.filter((file) => !file.endsWith('.cjs')), 'tsc output left beside the bundles').to.deep.equal([])
      for (const command of commands) {
        const others = fromDist(loadedBy(command)).filter((file) => file !== relative(join(ROOT, 'dist'), command))
        expect(others, relative(ROOT, command)).to.deep.equal(['lib/kasm/early-answers.cjs'])
      }
    })

    it('makes the early reads a bundle that decides and one that sends, which share only early-answers.cjs with the command', () => {
      const early = fromDist(loadedBy(join(ROOT, 'dist', 'lib', 'kasm', 'early-read.bundle.cjs')))
      expect(early).to.deep.equal(['lib/kasm/early-read.bundle.cjs', 'lib/kasm/early-send.bundle.cjs', 'lib/kasm/early-answers.cjs'])
      // What every command loads to decide is small: the context, curl and the requests are in the sending bundle.
      expect(readFileSync(join(ROOT, 'dist', 'lib', 'kasm', 'early-read.bundle.cjs'), 'utf8')).not.to.match(/function (resolveContext|sendWithCurl|prepareRequest)\b/)
    })

    it('keeps packages lazy: at load, a command requires only Node, oclif and early-answers.cjs', () => {
      // esbuild turns any other package import into a require() inside the initialiser of the module that uses it.
      for (const command of ['zone/list.cjs', 'db/logs/purge.cjs', 'host/zone-name.cjs']) {
        const code = readFileSync(join(ROOT, 'dist', 'commands', command), 'utf8')
        const atLoad = [...code.matchAll(/^(?:var|const) [^\n]*require\("([^"]+)"\)/gm)].map(([, name]) => name)
        expect(atLoad.filter((name) => !name.startsWith('node:') && name !== '@oclif/core' && !name.endsWith('/early-answers.cjs')), command).to.deep.equal([])
        expect(code, command).to.match(/^ +\S.*require\("(pg|yaml|cli-table3)"\)/m)
      }
    })
  })
})
