import {expect} from 'chai'
import {existsSync} from 'node:fs'
import {mkdtemp, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse, stringify} from 'yaml'

import type {SandboxStatus} from '../../../src/lib/sandbox/manager.js'
import {processAlive} from '../../../src/lib/sandbox/state.js'
import {baseEnv, runCli} from '../../helpers/cli.js'

// The whole life of a sandbox through the CLI, in a temp dir of its own (the shared test sandbox
// is left alone). JSON output is the contract documented in docs/json.md.
describe('kasmctl sandbox up | status | fault | reset | down', function () {
  this.timeout(120_000)
  let root: string
  let env: NodeJS.ProcessEnv

  const json = async (args: string[], expectedExit = 0) => {
    const result = await runCli([...args, '--json'], {env})
    expect(result.exitCode, `${args.join(' ')}: ${result.stderr}${result.stdout}`).to.equal(expectedExit)
    return JSON.parse(result.stdout)
  }

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kasmctl-sandbox-cli-'))
    env = baseEnv({
      KASMCTL_CONFIG: join(root, 'config', 'config.yaml'),
      KASMCTL_SANDBOX_DIR: join(root, 'sandbox'),
      XDG_CONFIG_HOME: join(root, 'config'),
      XDG_DATA_HOME: join(root, 'data'),
    })
    await mkdir(join(root, 'config'), {recursive: true})
    await writeFile(env.KASMCTL_CONFIG!, stringify({contexts: [{api: {url: 'https://kasm.example.com'}, name: 'prod'}], currentContext: 'prod'}), {mode: 0o600})
  })

  after(async () => {
    await runCli(['sandbox', 'down', '--purge', '--yes'], {env})
    await rm(root, {force: true, recursive: true})
  })

  it('status says there is no sandbox before the first up', async () => {
    expect(await json(['sandbox', 'status'])).to.deep.equal({dir: env.KASMCTL_SANDBOX_DIR, faults: [], proxies: [], state: 'absent', webapps: []})
  })

  it('up --dry-run says what it would start, and starts and writes nothing', async () => {
    const config = await readFile(env.KASMCTL_CONFIG!, 'utf8')
    const plan = await json(['sandbox', 'up', '--dry-run'])
    expect(plan).to.include({dir: env.KASMCTL_SANDBOX_DIR, dryRun: true, kasmVersion: '1.19', state: 'absent'})
    expect(plan.steps).to.have.length(3)
    expect(plan.steps[0]).to.include('PostgreSQL cluster').and.include(env.KASMCTL_SANDBOX_DIR)
    expect(plan.steps[1]).to.include('webapp-1, webapp-2').and.include('proxy-http, proxy-https')
    expect(plan.steps[2]).to.equal('write the "sandbox" context to the config')
    expect(existsSync(env.KASMCTL_SANDBOX_DIR!)).to.equal(false)
    expect(await readFile(env.KASMCTL_CONFIG!, 'utf8')).to.equal(config)
  })

  it('up starts the sandbox, and --use-context makes it current', async () => {
    const up = await json(['sandbox', 'up', '--use-context'])
    expect(up).to.include({context: 'sandbox', current: true, dir: env.KASMCTL_SANDBOX_DIR, kasmVersion: '1.19', status: 'started'})
    expect(up.apiUrl).to.match(/^https:\/\/127\.0\.0\.1:\d+$/)
    expect(up.databaseUrl).to.match(/^postgres:\/\/kasmapp@127\.0\.0\.1:\d+\/kasm\?sslmode=require$/)
    expect(up.webapps.map((w: {name: string}) => w.name)).to.deep.equal(['webapp-1', 'webapp-2'])
    expect(up.proxies).to.have.length(2)
    const config = parse(await readFile(env.KASMCTL_CONFIG!, 'utf8'))
    expect(config.currentContext).to.equal('sandbox')
    expect(config.contexts.map((c: {name: string}) => c.name)).to.deep.equal(['prod', 'sandbox'])
  })

  it('up refuses an unknown --kasm-version naming the valid ones, and another version while one runs (exit 64)', async () => {
    const unknown = await runCli(['sandbox', 'up', '--kasm-version', '1.17'], {env})
    expect(unknown.exitCode).to.equal(64)
    expect(unknown.stderr).to.include('1.17').and.include('1.15, 1.16, 1.19')
    const other = await runCli(['sandbox', 'up', '--kasm-version', '1.15'], {env})
    expect(other.exitCode).to.equal(64)
    expect(other.stderr).to.include(`the sandbox in ${env.KASMCTL_SANDBOX_DIR} already runs Kasm 1.19, not 1.15`).and.include('kasmctl sandbox down')
  })

  it('up --dry-run on a running sandbox would only write the context', async () => {
    expect(await json(['sandbox', 'up', '--dry-run'])).to.deep.equal({
      dir: env.KASMCTL_SANDBOX_DIR, dryRun: true, kasmVersion: '1.19', state: 'running', steps: ['write the "sandbox" context to the config'],
    })
    const other = await runCli(['sandbox', 'up', '--kasm-version', '1.15', '--dry-run'], {env})
    expect(other.exitCode).to.equal(64)
    expect(other.stderr).to.include('already runs Kasm 1.19, not 1.15')
  })

  it('up again says it is already running, in words a person reads', async () => {
    const result = await runCli(['sandbox', 'up'], {env})
    expect(result.exitCode).to.equal(0)
    expect(result.stdout).to.include('Sandbox is already running (Kasm 1.19, ').and.include('Try next:').and.include('kasmctl zone list')
    expect(result.stdout).to.not.include('\u001B[') // no colour when not a TTY
  })

  it('status reports processes, URLs and running web apps', async () => {
    const status: SandboxStatus = await json(['sandbox', 'status'])
    expect(status.state).to.equal('running')
    expect(status.postgres!.running).to.equal(true)
    expect(processAlive(status.daemon!.pid!)).to.equal(true)
    expect(status.webapps.map((w) => [w.name, w.running])).to.deep.equal([
      ['webapp-1', true],
      ['webapp-2', true],
    ])
    const human = await runCli(['sandbox', 'status'], {env})
    expect(human.stdout).to.match(/Sandbox:\s+running/).and.match(/webapp-1\s+http:\/\/127\.0\.0\.1:\d+\s+running/)
  })

  it('fault sets a fault the web app really shows, lists it and clears it', async () => {
    const planned = await json(['sandbox', 'fault', 'webapp-status', '--target', 'webapp-1', '--status', '500', '--dry-run'])
    expect(planned).to.deep.equal({database: {running: true}, dryRun: true, faults: []})
    const set = await json(['sandbox', 'fault', 'webapp-status', '--target', 'webapp-1', '--status', '500'])
    expect(set).to.deep.equal({database: {running: true}, dryRun: false, faults: [{kind: 'webapp-status', status: 500, target: 'webapp-1'}]})
    const {webapps} = await json(['sandbox', 'status'])
    const response = await fetch(`${webapps[0].url}/api/__healthcheck`)
    expect(response.status).to.equal(500)
    expect((await json(['sandbox', 'fault', '--list'])).faults).to.have.length(1)
    expect(await json(['sandbox', 'fault', '--clear'])).to.deep.equal({database: {running: true}, dryRun: false, faults: []})
  })

  it('fault refuses a bad target or a missing value, naming the valid ones (exit 64)', async () => {
    const badTarget = await json(['sandbox', 'fault', 'proxy-down', '--target', 'proxy-x', '--dry-run'], 64)
    expect(badTarget.error.message).to.equal('--target "proxy-x" is not one of the proxies: proxy-http or proxy-https')
    const noValue = await json(['sandbox', 'fault', 'webapp-delay', '--target', 'webapp-2'], 64)
    expect(noValue.error.message).to.equal('fault webapp-delay needs --ms')
    const nothing = await json(['sandbox', 'fault'], 64)
    expect(nothing.error.hint).to.include('agent-no-checkin')
    const badKind = await runCli(['sandbox', 'fault', 'meteor'], {env})
    expect(badKind.exitCode).to.equal(64)
    expect((await json(['sandbox', 'fault', '--list'])).faults).to.deep.equal([])
  })

  it('fault db-stop stops PostgreSQL and db-start starts it again', async () => {
    expect(await json(['sandbox', 'fault', 'db-stop'])).to.deep.equal({database: {running: false}, dryRun: false, faults: []})
    expect((await json(['sandbox', 'status'])).postgres.running).to.equal(false)
    expect(await json(['sandbox', 'fault', 'db-start'])).to.deep.equal({database: {running: true}, dryRun: false, faults: []})
  })

  it('reset asks for --yes when stdin is not a terminal, shows its plan with --dry-run, then resets', async () => {
    const refused = await runCli(['sandbox', 'reset'], {env})
    expect(refused.exitCode).to.equal(64)
    expect(refused.stderr).to.include('--yes')
    const plan = await json(['sandbox', 'reset', '--dry-run'])
    expect(plan).to.include({dryRun: true, reset: false})
    expect(plan.steps).to.have.length(5)
    await json(['sandbox', 'fault', 'api-down'])
    const reset = await json(['sandbox', 'reset', '--yes'])
    expect(reset).to.include({dryRun: false, reset: true})
    expect((await json(['sandbox', 'fault', '--list'])).faults).to.deep.equal([])
  })

  it('down stops everything and keeps the files; down --purge needs --yes, then deletes them', async () => {
    const {daemon, postgres} = await json(['sandbox', 'status'])
    // --dry-run says what would happen and stops and deletes nothing.
    expect(await json(['sandbox', 'down', '--purge', '--dry-run'])).to.deep.equal({contextRemoved: false, dir: env.KASMCTL_SANDBOX_DIR, dryRun: true, purged: false, wasRunning: true})
    expect((await json(['sandbox', 'status'])).state).to.equal('running')
    expect(await json(['sandbox', 'down'])).to.deep.equal({contextRemoved: false, dir: env.KASMCTL_SANDBOX_DIR, dryRun: false, purged: false, wasRunning: true})
    expect(processAlive(daemon.pid)).to.equal(false)
    expect(processAlive(postgres.pid)).to.equal(false)
    expect((await json(['sandbox', 'status'])).state).to.equal('stopped')
    const fault = await json(['sandbox', 'fault', '--list'], 69)
    expect(fault.error.hint).to.include('kasmctl sandbox up')

    expect((await runCli(['sandbox', 'down', '--purge'], {env})).exitCode).to.equal(64)
    expect(await json(['sandbox', 'down', '--purge', '--yes'])).to.deep.equal({contextRemoved: true, dir: env.KASMCTL_SANDBOX_DIR, dryRun: false, purged: true, wasRunning: false})
    expect((await json(['sandbox', 'status'])).state).to.equal('absent')
    const {contexts} = await json(['context', 'list'])
    expect(contexts.map((c: {name: string}) => c.name)).to.not.include('sandbox')
  })
})
