import {expect} from 'chai'
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdir, rm} from 'node:fs/promises'
import {dirname} from 'node:path'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

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
