import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {readFile} from 'node:fs/promises'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

const run = promisify(execFile)
const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))

/** The README's command reference is `oclif readme` output: it must match the commands' help as built. */
describe('the README command reference', function () {
  this.timeout(60_000)

  // From the marker line (the dry run also logs "replacing <!-- commands --> in ...") to the end marker.
  const reference = (text: string) => /^<!-- commands -->$[\s\S]*^<!-- commandsstop -->$/m.exec(text)?.[0]

  it('is what `npm run readme` generates now (run it after changing a command)', async () => {
    const oclif = join(ROOT, 'node_modules', '.bin', 'oclif')
    const {stdout} = await run(oclif, ['readme', '--dry-run', '--no-aliases', '--no-source-links'], {cwd: ROOT, maxBuffer: 64 * 1024 * 1024})
    const generated = reference(stdout)
    expect(generated, 'oclif readme produced no command reference').to.be.a('string')
    expect(reference(await readFile(join(ROOT, 'README.md'), 'utf8')) === generated, 'README.md is stale: run `npm run readme`').to.equal(true)
  })
})
