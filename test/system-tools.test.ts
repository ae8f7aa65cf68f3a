import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdir, mkdtemp, readdir, rm, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))

/** `npm test` on a machine without some system tool: stopped before any test, with the apt-get line. */
describe('the system tools check before mocha starts', () => {
  let dir: string
  let withoutTools: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-tools-'))
    // This machine's PATH as links, minus tmux and crontab.
    withoutTools = join(dir, 'bin')
    await mkdir(withoutTools)
    for (const entry of [dirname(process.execPath), ...(process.env.PATH ?? '').split(':')]) {
      const names = await readdir(entry).catch(() => [] as string[])
      for (const name of names) {
        if (name === 'tmux' || name === 'crontab') continue
        await symlink(join(entry, name), join(withoutTools, name)).catch(() => {}) // the first on PATH wins
      }
    }
  })
  after(async () => rm(dir, {force: true, recursive: true}))

  function run(command: string, args: string[], path: string): Promise<{code: number; stdout: string; stderr: string}> {
    return new Promise((done) => {
      execFile(command, args, {cwd: ROOT, env: {...process.env, PATH: path}}, (error, stdout, stderr) => {
        done({code: error ? Number(error.code ?? 1) : 0, stderr, stdout})
      })
    })
  }

  it('lists nothing on a machine that has them all', async () => {
    expect((await run('bash', ['scripts/system-tools.sh'], process.env.PATH!)).stdout).to.equal('')
  })

  it('names each missing tool with its Debian package', async () => {
    const {stdout} = await run('bash', ['scripts/system-tools.sh'], withoutTools)
    expect(stdout).to.equal('cron\tcrontab\ntmux\ttmux\n')
  })

  it('stops mocha before any test, with the one apt-get install line', async () => {
    const spec = join(dir, 'nothing.test.ts')
    await writeFile(spec, "it('would run', () => { throw new Error('ran') })\n")
    const result = await run(join(withoutTools, 'npx'), ['mocha', spec], withoutTools)
    expect(result.code).not.to.equal(0)
    expect(result.stdout + result.stderr).to.include('apt-get install -y cron tmux').and.not.include('would run')
  })
})
