import {expect} from 'chai'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCli, startCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {startSshd, type TestSshd} from '../../helpers/sshd.js'
import {running} from '../../lib/process/support.js'
import {descendants, processesNamed, waitFor} from '../backup/support.js'
import {agentState, expireSessions, jsonLines, waitForLine} from './fixtures.js'

const DEFAULT_ZONE_AGENTS = ['agent-1', 'agent-2', 'agent-3']

describe('agent rotate', () => {
  let sandbox: TestSandbox
  let dir: string
  let ticker: NodeJS.Timeout | undefined
  const kasmctl = (...args: string[]) => runCli(args, {env: sandbox.env})
  const rotate = (...args: string[]) => ['agent', 'rotate', '--zone', 'default', '--poll-interval', '300ms', '--yes', ...args]
  const enabled = async () => Promise.all(DEFAULT_ZONE_AGENTS.map(async (a) => (await agentState(sandbox, a)).enabled))

  /** A config file whose context reaches every agent of the zone through the test sshd. */
  async function sshInventory(sshd: TestSshd, name: string): Promise<string> {
    const {stringify} = await import('yaml')
    const config = join(dir, name)
    const context = {...sandbox.context, hosts: DEFAULT_ZONE_AGENTS.map((agent) => sshd.host(agent, {roles: ['agent']}))}
    await writeFile(config, stringify({contexts: [context], currentContext: context.name}), {mode: 0o600})
    return config
  }

  before(async () => {
    sandbox = await useSandbox()
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-rotate-'))
  })
  beforeEach(async () => {
    await sandbox.reset()
    // kasmctl's own state (rotations, drain records) lives outside the sandbox: start each test without any.
    await rm(join(sandbox.env.XDG_DATA_HOME!, 'kasmctl', 'rotations'), {force: true, recursive: true})
    await rm(join(sandbox.env.XDG_DATA_HOME!, 'kasmctl', 'drains'), {force: true, recursive: true})
    // The zone's sessions end now, so that drains are quick and the capacity guard lets the rotation go.
    await expireSessions(sandbox, DEFAULT_ZONE_AGENTS, -1)
    await sandbox.tick()
    // Advance the live loop (check-ins) faster than its own 2 s period.
    ticker = setInterval(() => sandbox.tick().catch(() => {}), 400)
  })
  afterEach(async () => {
    clearInterval(ticker)
    await sandbox.clearFaults()
  })
  after(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  it('patches the agents one at a time, waiting for each to check in again, even one that stops checking in for a while', async () => {
    const file = join(dir, 'patched-all')
    await sandbox.fault({kind: 'agent-no-checkin', target: 'agent-2'})
    const run = startCli(rotate('--exec', `sh -c "echo {host} {agent_id} >> ${file}"`, '--checkin-timeout', '40s', '--json'), {env: sandbox.env})
    await waitForLine(run.output, (l) => l.event === 'checkin_waiting' && l.agent === 'agent-2')
    await new Promise((resolve) => setTimeout(resolve, 1500))
    expect(jsonLines(run.output()).some((l) => l.event === 'checked_in' && l.agent === 'agent-2')).to.equal(false)
    expect((await agentState(sandbox, 'agent-2')).enabled).to.equal(false)
    await sandbox.clearFaults()

    const result = await run.result
    expect(result.exitCode, result.stderr + result.stdout).to.equal(0)
    const lines = jsonLines(result)
    expect(lines[0]).to.deep.include({agents: DEFAULT_ZONE_AGENTS, batch: 1, event: 'rotation_started', resumed: false})
    const patched = (await readFile(file, 'utf8')).trim().split('\n')
    expect(patched.map((l) => l.split(' ')[0])).to.deep.equal(DEFAULT_ZONE_AGENTS)
    expect(patched.every((l) => /^agent-\d [\da-f]{32}$/.test(l))).to.equal(true)

    // Per agent, in order: drain, patch (exit 0), check-in, enable; never two agents out at once.
    const steps = lines.filter((l) => ['checked_in', 'drain_started', 'enabled', 'patch_finished'].includes(l.event as string)).map((l) => `${l.agent}:${l.event}`)
    expect(steps).to.deep.equal(DEFAULT_ZONE_AGENTS.flatMap((a) => [`${a}:drain_started`, `${a}:patch_finished`, `${a}:checked_in`, `${a}:enabled`]))
    expect(lines.filter((l) => l.event === 'patch_finished').map((l) => l.exit_code)).to.deep.equal([0, 0, 0])
    expect(lines.at(-1)).to.deep.include({status: 'done', zone_name: 'default'})
    expect(await enabled()).to.deep.equal([true, true, true])
    expect((await kasmctl('agent', 'rotate', '--zone', 'default', '--resume')).stderr).to.include('no unfinished rotation of zone "default"')
  })

  it('takes --batch agents out of service at once, never more', async () => {
    const result = await kasmctl(...rotate('--exec', 'true', '--batch', '2', '--ignore-capacity', '--json'))
    expect(result.exitCode, result.stderr + result.stdout).to.equal(0)
    const out = new Set<string>()
    let most = 0
    for (const line of jsonLines(result)) {
      if (line.event === 'drain_started') out.add(line.agent as string)
      if (line.event === 'enabled') out.delete(line.agent as string)
      most = Math.max(most, out.size)
    }

    expect(most).to.equal(2)
    expect(jsonLines(result).filter((l) => l.event === 'capacity').map((l) => l.agents)).to.deep.equal([['agent-1', 'agent-2'], ['agent-3']])
    expect(await enabled()).to.deep.equal([true, true, true])
  })

  it('after kill -9 refuses a second rotation, and --resume finishes the first', async () => {
    const file = join(dir, 'patched-resume')
    const run = startCli(rotate('--exec', `sh -c "sleep 1; echo {host} >> ${file}"`, '--json'), {env: sandbox.env})
    await waitForLine(run.output, (l) => l.event === 'patch_started' && l.agent === 'agent-1')
    run.child.kill('SIGKILL')
    await run.result

    const second = await kasmctl(...rotate('--exec', 'true'))
    expect(second.exitCode).to.equal(1)
    expect(second.stderr).to.match(/an unfinished rotation of zone "default" .*stopped at agent-1: patching/)
    expect(second.stderr).to.include('kasmctl agent rotate --zone default --resume')
    expect(second.stderr).to.include('kasmctl agent rotate --zone default --abort')
    expect(await enabled()).to.deep.equal([false, true, true])

    // A dry run fails exactly as the real run would, and a dry run of --resume changes nothing.
    const dryRun = await kasmctl(...rotate('--exec', 'true', '--dry-run', '--json'))
    expect(dryRun.exitCode).to.equal(1)
    expect(JSON.parse(dryRun.stdout).error).to.include({code: 'ROTATION_UNFINISHED'})
    const resumePlan = await kasmctl(...rotate('--resume', '--dry-run'))
    expect(resumePlan.exitCode, resumePlan.stderr).to.equal(0)
    expect(resumePlan.stdout).to.include('sleep 1; echo agent-1')
    expect(await enabled()).to.deep.equal([false, true, true])

    const resumed = await kasmctl(...rotate('--resume', '--json'))
    expect(resumed.exitCode, resumed.stderr + resumed.stdout).to.equal(0)
    expect(jsonLines(resumed)[0]).to.deep.include({event: 'rotation_started', resumed: true})
    expect(jsonLines(resumed).filter((l) => l.event === 'patch_started').map((l) => l.agent)).to.deep.equal(DEFAULT_ZONE_AGENTS)
    expect(await enabled()).to.deep.equal([true, true, true])
    expect((await readFile(file, 'utf8')).trim().split('\n')).to.include.members(DEFAULT_ZONE_AGENTS)
  })

  it('after kill -9 mid-patch, --resume first ends what the killed patch command left running, then patches', async () => {
    const file = join(dir, 'patched-orphans')
    const delay = join(dir, 'delay')
    await writeFile(delay, '300')
    // The patch command forks a long sleep, as an installer would fork its own tools.
    const run = startCli(rotate('--exec', `sh -c "sleep $(cat ${delay}); echo {host} >> ${file}"`, '--json'), {env: sandbox.env})
    await waitForLine(run.output, (l) => l.event === 'patch_started' && l.agent === 'agent-1')
    const sleep = await waitFor('the patch command\'s sleep', () => descendants(run.child.pid!).find((p) => p.name === 'sleep'))
    run.child.kill('SIGKILL')
    await run.result
    await writeFile(delay, '0')

    const resumed = await kasmctl(...rotate('--resume', '--json'))
    expect(resumed.exitCode, resumed.stderr + resumed.stdout).to.equal(0)
    expect(resumed.stderr).to.contain(`stopping sleep (pid ${sleep.pid})`)
    expect(running(sleep.pid)).to.equal(false)
    // Each agent patched once, by the resumed run alone.
    expect((await readFile(file, 'utf8')).trim().split('\n').sort()).to.deep.equal(DEFAULT_ZONE_AGENTS)
  })

  it('Ctrl-C stops the rotation with its progress saved and says how to carry on; --resume finishes it', async () => {
    const file = join(dir, 'patched-interrupted')
    const run = startCli(rotate('--exec', `sh -c "sleep 1; echo {host} >> ${file}"`, '--json'), {env: sandbox.env})
    await waitForLine(run.output, (l) => l.event === 'patch_started' && l.agent === 'agent-1')
    run.child.kill('SIGINT')
    const result = await run.result
    expect(result.exitCode, result.stderr).to.equal(130)
    const {error} = jsonLines(result).at(-1) as {error: {code: string; exitCode: number; message: string; hint: string}}
    expect(error).to.include({code: 'INTERRUPTED', exitCode: 130, message: 'rotation of zone "default" interrupted at agent-1 (step patching, left disabled): patch command on agent-1 interrupted; the rotation\'s progress is saved'})
    expect(error.hint).to.equal('carry on with `kasmctl agent rotate --zone default --resume`, or undo with `kasmctl agent rotate --zone default --abort`')

    const resumed = await kasmctl(...rotate('--resume', '--json'))
    expect(resumed.exitCode, resumed.stderr + resumed.stdout).to.equal(0)
    expect(jsonLines(resumed).at(-1)).to.include({status: 'done'})
    expect(await enabled()).to.deep.equal([true, true, true])
    expect((await readFile(file, 'utf8')).trim().split('\n')).to.include.members(DEFAULT_ZONE_AGENTS)
  })

  it('after kill -9, --abort enables again what the rotation disabled', async () => {
    const run = startCli(rotate('--exec', 'sleep 2', '--json'), {env: sandbox.env})
    await waitForLine(run.output, (l) => l.event === 'patch_started')
    run.child.kill('SIGKILL')
    await run.result
    expect(await enabled()).to.deep.equal([false, true, true])

    const aborted = await kasmctl('agent', 'rotate', '--zone', 'default', '--abort', '--json')
    expect(aborted.exitCode, aborted.stderr).to.equal(0)
    expect(jsonLines(aborted)).to.deep.include({agent: 'agent-1', event: 'enabled'})
    expect(jsonLines(aborted).at(-1)).to.include({status: 'aborted'})
    expect(await enabled()).to.deep.equal([true, true, true])
    expect((await kasmctl('agent', 'rotate', '--zone', 'default', '--abort')).exitCode).to.equal(64)
  })

  it('stops at a failed patch command with the agent left disabled and the next step printed', async () => {
    const result = await kasmctl(...rotate('--exec', 'sh -c "echo disk full >&2; exit 3"'))
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.match(/rotation of zone "default" stopped at agent-1 \(step patching, left disabled\): patch command on agent-1 exited with 3:\s+disk full/)
    expect(result.stderr).to.match(/--resume` carries on \(re-running the patch command on agent-1\).*--abort` re-enables/)
    expect(await enabled()).to.deep.equal([false, true, true])
  })

  it('stops when an agent does not check in within --checkin-timeout, leaving it disabled', async () => {
    await sandbox.fault({kind: 'agent-no-checkin', target: 'agent-1'})
    const result = await kasmctl(...rotate('--exec', 'true', '--checkin-timeout', '1s'))
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.match(/stopped at agent-1 \(step checking_in, left disabled\): agent-1 did not check in within 1s after the patch/)
    expect(await enabled()).to.deep.equal([false, true, true])
  })

  it('--ssh runs the patch on each agent host over SSH (a real sshd), with the inventory of the context', async () => {
    const sshd = await startSshd()
    try {
      const config = await sshInventory(sshd, 'ssh-config.yaml')
      const file = join(dir, 'patched-ssh')
      const result = await runCli(rotate('--ssh', '--exec', `sh -c "echo {host} over \\$SSH_CONNECTION >> ${file}"`, '--json'), {env: {...sandbox.env, KASMCTL_CONFIG: config}})
      expect(result.exitCode, result.stderr + result.stdout).to.equal(0)
      expect(jsonLines(result).filter((l) => l.event === 'patch_started').map((l) => l.ssh)).to.deep.equal([true, true, true])
      const lines = (await readFile(file, 'utf8')).trim().split('\n')
      expect(lines.map((l) => l.split(' ')[0])).to.deep.equal(DEFAULT_ZONE_AGENTS)
      expect(lines.every((l) => new RegExp(`over 127\\.0\\.0\\.1 \\d+ 127\\.0\\.0\\.1 ${sshd.port}$`).test(l))).to.equal(true)
    } finally {
      await sshd.stop()
    }
  })

  it('--ssh: kill -9 mid-patch ends the patch command on the agent host too (it has a terminal, and the remote side hangs up)', async () => {
    const sshd = await startSshd()
    try {
      const config = await sshInventory(sshd, 'ssh-kill-config.yaml')
      const run = startCli(rotate('--ssh', '--exec', 'sh -c "sleep 297; echo {host}"', '--json'), {env: {...sandbox.env, KASMCTL_CONFIG: config}})
      // The sshd runs on this machine: its session's processes are visible here.
      const remoteSleep = (): number | undefined => processesNamed('sleep').find((p) => p.argv.join(' ') === 'sleep 297')?.pid
      const sleep = await waitFor('the patch command on the agent host', remoteSleep)
      run.child.kill('SIGKILL')
      await run.result
      await waitFor('the remote patch command to be gone', () => !running(sleep))
    } finally {
      await sshd.stop()
    }
  })

  it('--ssh refuses before changing anything when an agent is missing from the host inventory', async () => {
    const {stringify} = await import('yaml')
    const config = join(dir, 'partial-config.yaml')
    await writeFile(config, stringify({contexts: [{...sandbox.context, hosts: []}], currentContext: sandbox.context.name}), {mode: 0o600})
    const result = await runCli(rotate('--ssh', '--exec', 'true'), {env: {...sandbox.env, KASMCTL_CONFIG: config}})
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('--ssh needs every agent in the host inventory of context "sandbox"; missing: agent-1, agent-2')
    expect(await enabled()).to.deep.equal([true, true, true])
  })

  it('--dry-run prints the order, the commands and the capacity at each step, and changes nothing', async () => {
    const result = await kasmctl('agent', 'rotate', '--zone', 'default', '--exec', 'ssh root@{host} reboot', '--dry-run')
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^Plan for zone "default" \(dry run: nothing changed\):\n1\. agent-1: drain, then ssh root@agent-1 reboot, wait for check-in, enable\n {3}capacity ok: /)
    expect(result.stdout).to.match(/\n3\. agent-3: drain, then ssh root@agent-3 reboot/)
    expect(await enabled()).to.deep.equal([true, true, true])
  })
})
