import {expect} from 'chai'
import {rm} from 'node:fs/promises'
import {join} from 'node:path'

import {runCli, startCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {Terminal} from '../../helpers/terminal.js'
import {agentState, expireSessions, jsonLines, waitForLine} from './fixtures.js'

describe('agent drain', () => {
  let sandbox: TestSandbox
  const kasmctl = (...args: string[]) => runCli(args, {env: sandbox.env})
  // East has two agents: draining one is only allowed past the capacity guard.
  const drain = (agent: string, ...args: string[]) => ['agent', 'drain', agent, '--ignore-capacity', '--yes', '--poll-interval', '300ms', ...args]

  before(async () => {
    sandbox = await useSandbox()
  })
  beforeEach(async () => {
    await sandbox.reset()
    // Drain records live outside the sandbox, in kasmctl's data dir: start each test without any.
    await rm(join(sandbox.env.XDG_DATA_HOME!, 'kasmctl', 'drains'), {force: true, recursive: true})
  })

  it('disables the agent, shows the sessions left, and completes when they expire', async () => {
    await expireSessions(sandbox, ['agent-4'], 2)
    const result = await kasmctl(...drain('agent-4', '--deadline', '30s', '--reason', 'kernel update', '--json'))
    expect(result.exitCode, result.stderr).to.equal(0)
    const lines = jsonLines(result)
    expect(lines[0]).to.deep.include({already_disabled: false, agent: 'agent-4', event: 'drain_started', force: false, reason: 'kernel update'})
    const waiting = lines.find((l) => l.event === 'sessions') as {sessions: Array<{username: string; age_seconds: number}>; sessions_left: number}
    expect(waiting.sessions_left).to.equal(2)
    expect(waiting.sessions.map((s) => s.username)).to.have.members(['user5@kasm.local', 'user1@kasm.local'])
    expect(lines.at(-2)).to.include({event: 'drained'})
    expect(lines.at(-1)).to.deep.include({destroyed: [], hostname: 'agent-4', sessions_left: [], status: 'drained'})
    expect(await agentState(sandbox, 'agent-4')).to.deep.equal({enabled: false, sessions: 0})
  })

  it('at the deadline without --force exits 1, leaves the agent disabled and prints the command to undo', async () => {
    const result = await kasmctl(...drain('agent-5', '--deadline', '1s'))
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.match(/agent-5: 3 sessions left \(user\d+@kasm\.local \d/)
    expect(result.stderr).to.match(/Error: deadline \S+ reached with 3 session\(s\) left on agent agent-5; the agent stays disabled/)
    expect(result.stderr).to.include('undo with `kasmctl agent enable agent-5`')
    expect(await agentState(sandbox, 'agent-5')).to.deep.equal({enabled: false, sessions: 3})
    expect(JSON.parse((await kasmctl('agent', 'get', 'agent-5', '--json')).stdout).disabled.drain).to.include({force: false, status: 'timed-out'})
  })

  it('at the deadline with --force destroys the sessions left and waits for them to go', async () => {
    const result = await kasmctl(...drain('agent-5', '--deadline', '1s', '--force', '--json'))
    expect(result.exitCode, result.stdout).to.equal(0)
    const lines = jsonLines(result)
    expect(lines.find((l) => l.event === 'deadline')).to.include({force: true, sessions_left: 3})
    expect(lines.filter((l) => l.event === 'destroyed')).to.have.length(3)
    expect(lines.at(-1)).to.include({status: 'drained'})
    expect(lines.at(-1)!.destroyed).to.have.length(3)
    expect(await agentState(sandbox, 'agent-5')).to.deep.equal({enabled: false, sessions: 0})
  })

  it('--force with the API down at the deadline: reports each session it could not end, exits 1 at once, the agent left disabled, and says how to finish', async () => {
    const run = startCli(drain('agent-4', '--deadline', '2s', '--force', '--json'), {env: sandbox.env})
    let result: Awaited<typeof run.result>
    try {
      await waitForLine(run.output, (l) => l.event === 'sessions')
      await sandbox.fault({kind: 'api-down'})
      result = await run.result
    } finally {
      await sandbox.clearFaults()
    }

    expect(result.exitCode, result.stdout).to.equal(1)
    const lines = jsonLines(result)
    expect(lines.find((l) => l.event === 'deadline')).to.include({force: true, sessions_left: 2})
    const failed = lines.filter((l) => l.event === 'destroy_failed')
    expect(failed.map((l) => l.username)).to.have.members(['user5@kasm.local', 'user1@kasm.local'])
    expect(failed[0].error).to.match(/cannot reach|unexpected response/)
    const {error} = lines.at(-1) as {error: {code: string; message: string; hint: string}}
    expect(error).to.include({code: 'DRAIN_FAILED', message: '--force could not clear agent agent-4: 2 session(s) still there; the agent stays disabled'})
    expect(error.hint).to.include('kasmctl agent enable agent-4').and.include('kasmctl agent drain agent-4 --force --deadline 0s')
    expect(await agentState(sandbox, 'agent-4')).to.deep.equal({enabled: false, sessions: 2})
    expect(JSON.parse((await kasmctl('agent', 'get', 'agent-4', '--json')).stdout).disabled.drain).to.include({force: true, status: 'failed'})
  })

  it('--detach returns once disabled; --monitor re-attaches with the recorded deadline', async () => {
    const detached = await kasmctl(...drain('agent-4', '--detach', '--reason', 'disk swap'))
    expect(detached.exitCode, detached.stderr).to.equal(0)
    expect(detached.stdout).to.include('agent agent-4 disabled; draining until')
    expect(detached.stdout).to.include('kasmctl agent drain agent-4 --monitor')
    const recorded = JSON.parse((await kasmctl('agent', 'get', 'agent-4', '--json')).stdout)
    expect(recorded.disabled).to.deep.include({by: 'drain', reason: 'disk swap'})
    expect(recorded.disabled.drain).to.include({status: 'draining'})

    await expireSessions(sandbox, ['agent-4'], 1)
    const monitored = await kasmctl('agent', 'drain', 'agent-4', '--monitor', '--poll-interval', '300ms', '--json')
    expect(monitored.exitCode, monitored.stdout).to.equal(0)
    expect(jsonLines(monitored).at(-1)).to.deep.include({deadline_at: recorded.disabled.drain.deadline_at, reason: 'disk swap', status: 'drained'})

    const nothing = await kasmctl('agent', 'drain', 'agent-1', '--monitor')
    expect(nothing.exitCode).to.equal(64)
    expect(nothing.stderr).to.include('no drain of agent agent-1 is recorded')
  })

  it('Ctrl-C stops watching, not the drain, and says so', async () => {
    const run = startCli(drain('agent-4'), {env: sandbox.env})
    const until = Date.now() + 20_000
    while (!run.output().stderr.includes('sessions left') && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 100))
    run.child.kill('SIGINT')
    const result = await run.result
    expect(result.exitCode).to.equal(130)
    expect(result.stdout).to.include('Stopped watching: the drain goes on. Agent agent-4 stays disabled with 2 session(s) left')
    expect(result.stdout).to.include('kasmctl agent drain agent-4 --monitor')
    expect(result.stdout).to.include('kasmctl agent enable agent-4')
    expect(await agentState(sandbox, 'agent-4')).to.deep.equal({enabled: false, sessions: 2})
  })

  it('on a terminal, shows the drain as a task, and Ctrl-C there too stops watching, not the drain', async () => {
    const terminal = await Terminal.open('drain')
    try {
      await terminal.run(drain('agent-4').join(' '), sandbox.env)
      await terminal.waitFor(/Draining agent-4[\s\S]*sessions? left/)
      terminal.keys('C-c')
      const screen = await terminal.waitFor('exit=')
      expect(screen, screen).to.contain('Stopped watching: the drain goes on. Agent agent-4 stays disabled with 2 session(s) left').and.contain('exit=130')
      expect(await agentState(sandbox, 'agent-4')).to.deep.equal({enabled: false, sessions: 2})
    } finally {
      await terminal.close()
    }
  })

  it('shows every failed poll while the API is down, retries, and finishes once it is back', async () => {
    await expireSessions(sandbox, ['agent-4'], 3)
    const run = startCli(drain('agent-4', '--deadline', '40s', '--json'), {env: sandbox.env})
    try {
      await waitForLine(run.output, (l) => l.event === 'sessions')
      await sandbox.fault({kind: 'api-down'})
      await waitForLine(run.output, (l) => l.event === 'poll_failed' && Number(l.failures) >= 2)
    } finally {
      await sandbox.clearFaults()
    }

    const result = await run.result
    expect(result.exitCode, result.stdout).to.equal(0)
    const failures = jsonLines(result).filter((l) => l.event === 'poll_failed')
    expect(failures[0]).to.deep.include({agent: 'agent-4', code: 'UNAVAILABLE', failures: 1})
    expect(failures[0].error).to.match(/(cannot reach|unexpected response from) https:\/\/127\.0\.0\.1:\d+\/api\/public\/get_kasms/)
    expect(failures[1].retry_in_ms).to.be.greaterThan(Number(failures[0].retry_in_ms))
    expect(jsonLines(result).at(-1)).to.include({status: 'drained'})
  })

  it('--dry-run lists the sessions it would wait for and changes nothing', async () => {
    const result = await kasmctl('agent', 'drain', 'agent-4', '--dry-run')
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/would drain agent-4 \(dry run: nothing changed\): 2 session\(s\) to wait for\ncapacity REFUSED/)
    expect(result.stdout).to.match(/user5@kasm\.local\s+agent-4/)
    expect((await agentState(sandbox, 'agent-4')).enabled).to.equal(true)
  })
})
