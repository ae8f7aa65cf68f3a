import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {connect} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'
import {parse, stringify} from 'yaml'

import {loadConfig} from '../../../src/lib/config/store.js'
import {KasmClient} from '../../../src/lib/kasm/client.js'
import type {SandboxState} from '../../../src/lib/sandbox/contract.js'
import {controlRequest, type ControlStatus} from '../../../src/lib/sandbox/control.js'
import {kasmRoot} from '../../../src/lib/sandbox/hosts.js'
import {type UpResult, sandboxDown, sandboxReset, sandboxStatus, sandboxUp} from '../../../src/lib/sandbox/manager.js'
import {connectSuperuser, postgresPid} from '../../../src/lib/sandbox/postgres.js'
import {processAlive, readState} from '../../../src/lib/sandbox/state.js'
import {useSandbox} from '../../helpers/sandbox.js'

const run = promisify(execFile)

/** True when something accepts TCP connections on 127.0.0.1:port. */
function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({host: '127.0.0.1', port})
    socket.once('connect', () => {
      socket.destroy()
      resolve(true)
    })
    socket.once('error', () => resolve(false))
  })
}

const allPorts = (state: SandboxState): number[] => [
  state.postgres.port,
  state.daemon.controlPort,
  ...state.webapps.map((w) => w.port),
  ...state.proxies.map((p) => p.port),
]

async function webappsRunning(state: SandboxState): Promise<Record<string, boolean>> {
  return (await controlRequest<ControlStatus>(state, 'GET', '/status')).webapps
}

async function zoneNames(state: SandboxState): Promise<string[]> {
  const db = await connectSuperuser(state, 'kasm')
  try {
    return (await db.query('SELECT zone_name FROM zones ORDER BY zone_name')).rows.map((r) => r.zone_name as string)
  } finally {
    await db.end()
  }
}

// A sandbox of its own (not the shared one): these tests stop, break and restart it.
describe('sandbox lifecycle: up, host scripts, reset, down', function () {
  this.timeout(120_000)
  let root: string
  let dir: string
  let configPath: string
  let up: UpResult

  before(async () => {
    root = await mkdtemp(join(tmpdir(), 'kasmctl-lifecycle-'))
    dir = join(root, 'sandbox')
    configPath = join(root, 'config.yaml')
    // The user already works with another context: `sandbox up` must not take it over.
    await writeFile(configPath, stringify({contexts: [{api: {url: 'https://kasm.example.com'}, name: 'prod'}], currentContext: 'prod'}), {mode: 0o600})
    up = await sandboxUp({configPath, dir})
  })

  after(async () => {
    await sandboxDown(dir, {purge: true})
    await rm(root, {force: true, recursive: true})
  })

  it('starts PostgreSQL, the daemon and every listener, and records them in state.json', async () => {
    expect(up.alreadyRunning).to.equal(false)
    const state = (await readState(dir))!
    expect(state).to.deep.equal(up.state)
    expect(processAlive(state.daemon.pid)).to.equal(true)
    expect(postgresPid(state)).to.be.a('number')
    for (const port of allPorts(state)) expect(await listening(port), `port ${port}`).to.equal(true)
    expect(await webappsRunning(state)).to.deep.equal({'webapp-1': true, 'webapp-2': true})
  })

  it('writes the sandbox context and keeps the user\'s current context', async () => {
    const {file} = await loadConfig(configPath)
    expect(file.currentContext).to.equal('prod')
    expect(up.madeCurrent).to.equal(false)
    const context = file.contexts.find((c) => c.name === 'sandbox')!
    const {state} = up
    const https = state.proxies.find((p) => p.scheme === 'https')!
    expect(context.api).to.deep.equal({
      auth: 'body',
      key: state.apiKeys.admin.key,
      secret: {file: state.apiKeys.admin.secretFile},
      tls: {caFile: state.tls.caFile},
      url: `https://127.0.0.1:${https.port}`,
    })
    expect(context.database).to.deep.equal({
      password: {file: join(dir, 'secrets', 'kasmapp.password')},
      url: `postgres://kasmapp@127.0.0.1:${state.postgres.port}/kasm?sslmode=require`,
    })
    expect(context).to.include({defaultZone: 'default', sandbox: true})
    expect(context.enclaves).to.deep.equal(['enclave'])
    expect(context.backup).to.deep.equal({dir: join(dir, 'backups'), keep: 7, minKeep: 2})
    expect(context.proxies).to.deep.equal(state.proxies.map((p) => `${p.scheme}://127.0.0.1:${p.port}`))
    const roles = Object.fromEntries(context.hosts!.map((h) => [h.name, h.roles.join(',')]))
    expect(roles).to.deep.equal({
      'agent-1': 'agent', 'agent-2': 'agent', 'agent-3': 'agent', 'agent-4': 'agent', 'agent-5': 'agent', 'agent-6': 'agent',
      'db-1': 'db', 'guac-1': 'connection-proxy', 'guac-2': 'connection-proxy',
      'proxy-http': 'proxy', 'proxy-https': 'proxy', 'webapp-1': 'webapp', 'webapp-2': 'webapp',
    })
    const webapp1 = context.hosts!.find((h) => h.name === 'webapp-1')!
    expect(webapp1).to.deep.equal({
      address: '127.0.0.1',
      kasmRoot: kasmRoot(dir, 'webapp-1'),
      name: 'webapp-1',
      roles: ['webapp'],
      url: `http://127.0.0.1:${state.webapps[0].port}`,
    })

    const client = await KasmClient.fromContext(context)
    try {
      expect((await client.getZones()).map((z) => z.zone_name).sort()).to.deep.equal(['default', 'east', 'enclave'])
    } finally {
      client.close()
    }
  })

  it('lays out the web app hosts like a Kasm install, with the database block and zone_name', async () => {
    const root = kasmRoot(dir, 'webapp-1')
    expect(await run('readlink', [join(root, 'current')]).then((r) => r.stdout.trim())).to.equal('1.19.0')
    expect(await run('readlink', [join(root, 'bin')]).then((r) => r.stdout.trim())).to.equal('current/bin')
    const configPath = up.state.webapps[0].configPath
    expect((await stat(configPath)).mode & 0o777).to.equal(0o644)
    expect((await stat(join(root, 'bin', 'stop'))).mode & 0o777).to.equal(0o755)
    const text = await readFile(configPath, 'utf8')
    expect(text).to.include("? ''")
    const config = parse(text)
    expect(config.database).to.include({host: '127.0.0.1', name: 'kasm', password: up.state.postgres.kasmappPassword, port: up.state.postgres.port, ssl: true, username: 'kasmapp'})
    expect(config.server).to.include({server_hostname: 'webapp-1', zone_name: 'default'})
    expect(config.logging.loggers['']).to.include({level: 'DEBUG'})
    const guac = parse(await readFile(up.state.connectionProxies[0].configPath, 'utf8'))
    expect(guac.kasmguac).to.include({zone: 'default'})
    const gateway = parse(await readFile(join(kasmRoot(dir, 'guac-1'), 'current', 'conf', 'app', 'rdp_https_gateway.app.config.yaml'), 'utf8'))
    expect(gateway['rdp-gateway']).to.include({zone: 'default'})
    const nginx = await readFile(up.state.proxies[1].configPath, 'utf8')
    expect(nginx).to.include('proxy_read_timeout 3600s;').and.include(`server 127.0.0.1:${up.state.webapps[1].port};`)
  })

  it('is idempotent: a second up finds it running and changes nothing', async () => {
    const again = await sandboxUp({configPath, dir})
    expect(again.alreadyRunning).to.equal(true)
    expect(again.state).to.deep.equal(up.state)
    expect((await loadConfig(configPath)).file.currentContext).to.equal('prod')
  })

  it('bin/stop really stops a web app and bin/start brings it back, re-reading zone_name', async () => {
    const webapp = up.state.webapps[0]
    const bin = join(kasmRoot(dir, webapp.name), 'bin')
    const stopped = await run(join(bin, 'stop'))
    expect(stopped.stdout).to.include('webapp-1 stopped')
    expect(await listening(webapp.port)).to.equal(false)
    expect(await webappsRunning(up.state)).to.deep.equal({'webapp-1': false, 'webapp-2': true})

    // As in Kasm, a web app that starts with an unknown zone_name registers that zone.
    const config = await readFile(webapp.configPath, 'utf8')
    await writeFile(webapp.configPath, config.replace('zone_name: default', 'zone_name: west'))
    await run(join(bin, 'start'))
    expect(await listening(webapp.port)).to.equal(true)
    expect(await zoneNames(up.state)).to.include('west')
  })

  it('db-1 bin/stop and bin/start stop and start PostgreSQL', async () => {
    const bin = join(kasmRoot(dir, 'db-1'), 'bin')
    await run(join(bin, 'stop'))
    expect(postgresPid(up.state)).to.equal(undefined)
    expect(await listening(up.state.postgres.port)).to.equal(false)
    await run(join(bin, 'start'))
    expect(postgresPid(up.state)).to.be.a('number')
    expect(await zoneNames(up.state)).to.include('default')
  })

  it('reset undoes database changes, host file edits, faults and stopped web apps', async () => {
    const {state} = up
    const db = await connectSuperuser(state, 'kasm')
    await db.query("UPDATE zones SET load_strategy = 'most_kasms' WHERE zone_name = 'default'")
    await db.query('DELETE FROM kasms')
    await db.end()
    const pristine = await readFile(state.webapps[1].configPath, 'utf8')
    await writeFile(state.webapps[1].configPath, pristine.replace('zone_name: default', 'zone_name: east'))
    await controlRequest(state, 'POST', '/faults', {kind: 'api-down'})
    await controlRequest(state, 'POST', '/webapps/webapp-2/stop')

    await sandboxReset(state)

    expect(await zoneNames(state)).to.deep.equal(['default', 'east', 'enclave'])
    const check = await connectSuperuser(state, 'kasm')
    const {rows} = await check.query("SELECT (SELECT count(*)::int FROM kasms) AS sessions, (SELECT load_strategy FROM zones WHERE zone_name = 'default') AS strategy")
    await check.end()
    expect(rows[0]).to.deep.equal({sessions: 20, strategy: 'least_load'})
    expect(await readFile(state.webapps[1].configPath, 'utf8')).to.equal(pristine)
    expect((await controlRequest<ControlStatus>(state, 'GET', '/status')).faults).to.deep.equal([])
    expect(await webappsRunning(state)).to.deep.equal({'webapp-1': true, 'webapp-2': true})
  })

  it('up starts a database stopped on purpose and keeps everything else', async () => {
    await run(join(kasmRoot(dir, 'db-1'), 'bin', 'stop'))
    const again = await sandboxUp({configPath, dir})
    expect(again.alreadyRunning).to.equal(true)
    expect(again.state.daemon.pid).to.equal(up.state.daemon.pid)
    expect(await zoneNames(up.state)).to.have.length(3)
  })

  it('reset also restarts a database stopped on purpose', async () => {
    await run(join(kasmRoot(dir, 'db-1'), 'bin', 'stop'))
    await sandboxReset(up.state)
    expect(await zoneNames(up.state)).to.have.length(3)
  })

  it('up after a crash cleans what is left and starts afresh', async () => {
    const before = (await readState(dir))!
    process.kill(before.daemon.pid!, 'SIGKILL')
    while (processAlive(before.daemon.pid)) await new Promise((resolve) => setTimeout(resolve, 20))
    const restarted = await sandboxUp({configPath, dir})
    expect(restarted.alreadyRunning).to.equal(false)
    expect(restarted.state.daemon.pid).to.not.equal(before.daemon.pid)
    expect((await sandboxStatus(dir)).state).to.equal('running')
    const context = (await loadConfig(configPath)).file.contexts.find((c) => c.name === 'sandbox')!
    expect(context.api.key).to.equal(restarted.state.apiKeys.admin.key)
    up = restarted
  })

  it('down stops every process and frees every port, keeping the files; --purge deletes them', async () => {
    const {state} = up
    const pids = [state.daemon.pid!, postgresPid(state)!]
    const down = await sandboxDown(dir)
    expect(down).to.deep.equal({purged: false, wasRunning: true})
    for (const pid of pids) expect(processAlive(pid), `pid ${pid}`).to.equal(false)
    for (const port of allPorts(state)) expect(await listening(port), `port ${port}`).to.equal(false)
    expect((await sandboxStatus(dir)).state).to.equal('stopped')
    await stat(join(dir, 'state.json'))
    const stop = await run(join(kasmRoot(dir, 'webapp-1'), 'bin', 'stop')).catch((error: {code: number; stderr: string}) => error)
    expect(stop).to.include({code: 1})
    expect((stop as {stderr: string}).stderr).to.include('the sandbox daemon is not reachable').and.include('kasmctl sandbox up')

    await sandboxDown(dir, {purge: true})
    expect((await sandboxStatus(dir)).state).to.equal('absent')
    for (const path of [dir, state.postgres.dataDir]) {
      const error = await stat(path).catch((error_: NodeJS.ErrnoException) => error_)
      expect((error as NodeJS.ErrnoException).code, path).to.equal('ENOENT')
    }
  })
})

// Each variant's own schema, seed and API (kasm-verified.md §1); the harness starts one sandbox per variant.
describe('sandbox up --kasm-version', () => {
  for (const [kasmVersion, release, revision] of [['1.15', '1.15.0', 'sandbox01150'], ['1.16', '1.16.1', '8ddb88a590be']] as const) {
    it(`${kasmVersion}: installs the hosts as ${release}, records alembic revision ${revision} and serves the memory field names of ${kasmVersion}`, async () => {
      const sandbox = await useSandbox({kasmVersion})
      expect(sandbox.state.kasmVersion).to.equal(kasmVersion)
      expect(await run('readlink', [join(kasmRoot(sandbox.dir, 'webapp-2'), 'current')]).then((r) => r.stdout.trim())).to.equal(release)
      const db = await sandbox.db()
      try {
        expect((await db.query('SELECT version_num FROM alembic_version')).rows).to.deep.equal([{version_num: revision}])
        const {rows} = await db.query(`SELECT column_name FROM information_schema.columns WHERE table_name = 'servers' AND column_name IN ('drain_time', 'gpu_exclusions', 'max_simultaneous_users', 'server_template_id')`)
        expect(rows).to.deep.equal([])
      } finally {
        await db.end()
      }

      const client = await sandbox.client()
      try {
        const {servers} = await client.call<{servers: Array<Record<string, unknown>>}>('get_servers')
        const agent = servers.find((s) => s.hostname === 'agent-1')!
        expect(agent).to.include.keys('memory')
        expect(agent).to.not.have.property('memory_bytes')
      } finally {
        client.close()
      }
    })
  }
})
