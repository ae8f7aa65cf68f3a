import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync} from 'node:fs'
import {mkdir, mkdtemp, readdir, rm} from 'node:fs/promises'
import {tmpdir, userInfo} from 'node:os'
import {dirname, isAbsolute, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {CRON_TOOLS} from '../../../src/lib/backup/cron.js'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

/** runCli runs kasmctl in the repository's root: relative paths resolve there. */
const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))

/** The current user's crontab through the real crontab binary ('' when there is none). */
function crontab(): string {
  const listed = spawnSync('crontab', ['-l'], {encoding: 'utf8'})
  return listed.status === 0 ? listed.stdout : ''
}

describe('backup cron', function () {
  this.timeout(60_000)
  let sandbox: TestSandbox
  let saved: string
  let createdDir: string | undefined

  before(async () => {
    sandbox = await useSandbox()
    // The line is only printed for an existing backup directory; create the context's if the sandbox has none.
    createdDir = await mkdir(sandbox.context.backup!.dir, {recursive: true})
    saved = crontab()
  })

  after(async () => {
    // Put the user's crontab back exactly as it was.
    if (saved === '') spawnSync('crontab', ['-r'])
    else execFileSync('crontab', ['-'], {input: saved})
    if (createdDir) await rm(createdDir, {force: true, recursive: true})
  })

  it('--print shows the line: schedule, PATH with node, KASMCTL_CONFIG, the context, --quiet, and a marker', async () => {
    const result = await runCli(['backup', 'cron', '--schedule', '0 2 * * *', '--log-file', '/var/log/kasm backup.log', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    expect(json).to.include({changed: false, installed: false, schedule: '0 2 * * *'})
    expect(json.line).to.match(new RegExp(`^0 2 \\* \\* \\* PATH=${dirname(process.execPath)}:\\S+ KASMCTL_CONFIG=${sandbox.env.KASMCTL_CONFIG} \\S+ backup create --quiet --context sandbox --log-file '/var/log/kasm backup.log' # kasmctl backup: context sandbox$`))
  })

  it('keeps only the absolute PATH directories that hold a tool of the job, and the line runs under cron\'s bare environment', async () => {
    const empty = await mkdtemp(join(tmpdir(), 'kasmctl-cron-path-'))
    try {
      const path = ['.', 'node_modules/.bin', '', empty, '/nonexistent', sandbox.env.PATH].join(':')
      const result = await runCli(['backup', 'cron', '--schedule', '@daily', '--exclude-logs', '--json'], {env: {...sandbox.env, PATH: path}})
      expect(result.exitCode, result.stderr).to.equal(0)
      const {line} = JSON.parse(result.stdout)
      const dirs = /PATH=(\S+)/.exec(line)![1].split(':')
      expect(dirs[0]).to.equal(dirname(process.execPath))
      for (const dir of dirs) {
        expect(isAbsolute(dir), dir).to.equal(true)
        expect(CRON_TOOLS.some((tool) => existsSync(join(dir, tool))), `${dir} holds a tool of the job`).to.equal(true)
      }

      expect(dirs).to.not.include.members([empty, '/nonexistent'])
      // What cron runs: the line after its schedule, with only HOME and SHELL set.
      const before = await readdir(sandbox.context.backup!.dir)
      const run = spawnSync('/bin/sh', ['-c', line.replace(/^@daily /, '').replaceAll(String.raw`\%`, '%')], {encoding: 'utf8', env: {HOME: process.env.HOME, SHELL: '/bin/sh'}})
      expect(run.status, run.stderr).to.equal(0)
      expect(run.stdout).to.equal('')
      const made = (await readdir(sandbox.context.backup!.dir)).filter((file) => !before.includes(file))
      expect(made.map((file) => file.replace(/\d{8}T\d{6}Z/, 'TIME')).sort()).to.deep.equal(
        ['kasm_db_sandbox_TIME.tar.zst', 'kasm_db_sandbox_TIME.tar.zst.manifest.json', 'kasm_db_sandbox_TIME.tar.zst.sha256'],
      )
      for (const file of made) await rm(join(sandbox.context.backup!.dir, file))
    } finally {
      await rm(empty, {force: true, recursive: true})
    }
  })

  it('passes backup create\'s retention and format flags on, with absolute file paths, after checking them as a run would', async () => {
    const flags = ['--keep', '7', '--min-keep', '3', '--keep-age', '36h', '--verify', '--compress', 'gzip', '--format', 'custom', '--exclude-logs', '--metrics-file', 'textfile/kasmctl.prom']
    const result = await runCli(['backup', 'cron', '--schedule', '0 2 * * *', ...flags, '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout).line).to.match(
      / backup create --quiet --context sandbox --metrics-file \S+\/textfile\/kasmctl\.prom --exclude-logs --compress gzip --format custom --keep 7 --keep-age 1d12h --min-keep 3 --verify # kasmctl/,
    )
    expect(JSON.parse(result.stdout).line).to.contain(` --metrics-file ${join(ROOT, 'textfile', 'kasmctl.prom')} `)

    for (const [args, message] of [
      [['--keep', '1', '--min-keep', '2'], '--keep 1 is below --min-keep 2'],
      [['--log-file', tmpdir()], `--log-file ${tmpdir()}: is a directory`],
      [['--compress', 'lz4'], 'lz4'],
    ] as const) {
      const bad = await runCli(['backup', 'cron', '--schedule', '0 2 * * *', ...args, '--install'], {env: sandbox.env})
      expect(bad.exitCode, args.join(' ')).to.equal(64)
      expect(bad.stderr).to.contain(message)
    }
  })

  it('writes the deprecated --keep-days N as --keep-age Nd, with a deprecation warning', async () => {
    const result = await runCli(['backup', 'cron', '--schedule', '0 2 * * *', '--keep-days', '14', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout).line).to.contain(' --keep-age 14d # kasmctl').and.not.contain('--keep-days')
    expect(result.stderr).to.contain('"keep-days" flag has been deprecated. Use "keep-age" instead')
  })

  it('--install --dry-run shows the line and whether the crontab would change, and writes nothing', async () => {
    execFileSync('crontab', ['-'], {input: '# unrelated job\n15 4 * * * /usr/bin/true\n'})
    const before = crontab()
    const result = await runCli(['backup', 'cron', '--schedule', '0 3 * * *', '--install', '--dry-run', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    expect(json).to.include({changed: true, dryRun: true, installed: false})
    expect(json.line).to.match(/^0 3 \* \* \* PATH=\S+ .* backup create --quiet --context sandbox # kasmctl backup: context sandbox$/)
    expect(crontab()).to.equal(before)
    const text = await runCli(['backup', 'cron', '--schedule', '0 3 * * *', '--install', '--dry-run'], {env: sandbox.env})
    expect(text.stdout).to.equal(`would install into the crontab of ${userInfo().username} (dry run): ${json.line}\n`)
    expect(crontab()).to.equal(before)
  })

  it('rejects an invalid schedule with exit 64, naming the field and the valid range, and installs nothing', async () => {
    const before = crontab()
    const result = await runCli(['backup', 'cron', '--schedule', '0 2 * * 9', '--install'], {env: sandbox.env})
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.contain('day of week field "9" has 9 out of range (valid: 0-7 or sun…sat')
    expect(crontab()).to.equal(before)
  })

  it('--install puts the line in the crontab once: again is unchanged, a new schedule replaces it, other lines stay', async () => {
    execFileSync('crontab', ['-'], {input: '# unrelated job\n15 4 * * * /usr/bin/true\n'})
    const first = JSON.parse((await runCli(['backup', 'cron', '--schedule', '0 2 * * *', '--install', '--json'], {env: sandbox.env})).stdout)
    expect(first).to.include({changed: true, installed: true})
    const again = await runCli(['backup', 'cron', '--schedule', '0 2 * * *', '--install'], {env: sandbox.env})
    expect(again.stdout).to.match(/^already installed, unchanged: 0 2 \* \* \* /)

    const replaced = JSON.parse((await runCli(['backup', 'cron', '--schedule', '30 1 * * 1-5', '--install', '--json'], {env: sandbox.env})).stdout)
    expect(replaced.changed).to.equal(true)
    const lines = crontab().trimEnd().split('\n')
    expect(lines).to.deep.equal(['# unrelated job', '15 4 * * * /usr/bin/true', replaced.line])
  })
})
