/**
 * The npm package as a user gets it: `npm pack` from a clean checkout (what git tracks, no dist/),
 * installed globally into a temporary prefix, run from another directory.
 */
import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {cp, mkdir, mkdtemp, readFile, rm, symlink} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'

const run = promisify(execFile)
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

describe('the npm package', function () {
  this.timeout(240_000)
  let work: string
  let files: string[]
  let installed: string
  let version: string

  before(async () => {
    work = await mkdtemp(join(tmpdir(), 'kasmctl-pack-'))
    const checkout = join(work, 'checkout')
    // A clean checkout: the files git knows (tracked or new, not ignored), so no dist/ and no manifest.
    const {stdout} = await run('git', ['ls-files', '--cached', '--others', '--exclude-standard', '-z'], {cwd: ROOT})
    for (const file of stdout.split('\0').filter(Boolean)) {
      await mkdir(dirname(join(checkout, file)), {recursive: true})
      await cp(join(ROOT, file), join(checkout, file)).catch((error: NodeJS.ErrnoException) => {
        if (error.code !== 'ENOENT') throw error // deleted in the work tree, not yet committed
      })
    }

    await symlink(join(ROOT, 'node_modules'), join(checkout, 'node_modules'))
    const packed = await run('npm', ['pack', '--json', '--pack-destination', work], {cwd: checkout, maxBuffer: 64 * 1024 * 1024})
    // prepack's build prints to stdout too: the JSON report is the array at the end.
    const [info] = JSON.parse(packed.stdout.slice(packed.stdout.lastIndexOf('\n[\n'))) as [{filename: string; files: Array<{path: string}>}]
    files = info.files.map((f) => f.path)
    // Dependencies come from the npm cache `npm ci` filled; only registry metadata may be fetched.
    const prefix = join(work, 'prefix')
    await run('npm', ['install', '--global', '--prefix', prefix, '--prefer-offline', '--no-audit', '--no-fund', join(work, info.filename)], {cwd: work})
    installed = join(prefix, 'bin', 'kasmctl')
    version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {version: string}).version
  })

  after(async () => {
    if (work) await rm(work, {force: true, recursive: true})
  })

  it('is built by prepack: it holds the compiled commands and the oclif manifest', () => {
    expect(files).to.include.members(['oclif.manifest.json', 'dist/commands/zone/list.cjs', 'dist/lib/kasm/early-read.bundle.cjs', 'bin/run.js', 'LICENSE'])
  })

  it('pins its dependencies to the tested lockfile (npm-shrinkwrap.json) and ships no dev entry point', () => {
    expect(files).to.include('npm-shrinkwrap.json')
    expect(files).not.to.include('bin/dev.js')
    expect(files.filter((f) => f.startsWith('src/') || f.startsWith('test/'))).to.deep.equal([])
  })

  it('runs `kasmctl --version` and `kasmctl zone --help` from another directory once installed', async () => {
    const elsewhere = await mkdtemp(join(work, 'cwd-'))
    const env = {HOME: elsewhere, PATH: `${dirname(installed)}:${process.env.PATH}`}
    const shown = await run('kasmctl', ['--version'], {cwd: elsewhere, env})
    expect(shown.stdout).to.match(new RegExp(`^kasmctl/${version.replaceAll('.', String.raw`\.`)} `))
    const help = await run('kasmctl', ['zone', '--help'], {cwd: elsewhere, env})
    expect(help.stdout).to.include('$ kasmctl zone COMMAND').and.match(/^ {2}zone list /m)
  })
})
