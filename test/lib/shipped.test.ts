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
    /** Every file of dist/ a command loads: its bundle and the chunks it imports, statically or lazily. */
    function loadedBy(file: string, seen = new Set<string>()): Set<string> {
      seen.add(file)
      for (const [, specifier] of readFileSync(file, 'utf8').matchAll(/(?:from|import\()\s*"(\.[^"]+)"/g)) {
        const target = resolve(dirname(file), specifier)
        if (!seen.has(target)) loadedBy(target, seen)
      }

      return seen
    }

    function commandFiles(dir: string): string[] {
      return readdirSync(dir, {withFileTypes: true}).flatMap((entry) =>
        entry.isDirectory() ? commandFiles(join(dir, entry.name)) : entry.name.endsWith('.js') ? [join(dir, entry.name)] : [],
      )
    }

    it('makes each command one bundle: nothing it loads is a module of dist/lib (whose classes would be other copies) but early-answers.js', () => {
      const commands = commandFiles(join(ROOT, 'dist', 'commands'))
      expect(commands.length).to.be.greaterThan(50)
      for (const command of commands) {
        const outside = [...loadedBy(command)]
          .map((file) => relative(join(ROOT, 'dist'), file))
          .filter((file) => !file.startsWith('chunks/') && !file.startsWith('commands/') && file !== 'lib/kasm/early-answers.js')
        expect(outside, relative(ROOT, command)).to.deep.equal([])
      }
    })

    it('shares only early-answers.js between the early reads and the command: the one module both load from dist/lib', () => {
      const early = [...loadedBy(join(ROOT, 'dist', 'lib', 'kasm', 'early-read.bundle.js'))].map((file) => relative(join(ROOT, 'dist'), file))
      expect(early.filter((file) => !file.startsWith('chunks/'))).to.deep.equal(['lib/kasm/early-read.bundle.js', 'lib/kasm/early-answers.js'])
      const zoneList = [...loadedBy(join(ROOT, 'dist', 'commands', 'zone', 'list.js'))].map((file) => relative(join(ROOT, 'dist'), file))
      expect(zoneList).to.include('lib/kasm/early-answers.js')
    })
  })
})
