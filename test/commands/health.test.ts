import {expect} from 'chai'
import {spawn} from 'node:child_process'
import type {Server} from 'node:https'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {stringify} from 'yaml'

import type {ContextConfig} from '../../src/lib/config/types.js'
import {baseEnv, type CliResult, runCli} from '../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../helpers/sandbox.js'
import {Terminal} from '../helpers/terminal.js'
import {fakeBackup, makeCertificates, serveHealthcheck} from '../lib/health/fixtures.js'

const NAGIOS_LINE = /^KASM (OK|WARNING|CRITICAL|UNKNOWN) - [^\n|]+ \| checks=\d+ critical=\d+ warning=\d+ unknown=\d+( \S+=[\d.]+(ms|s|%|B)?;[\d:]*;[\d:]*;0;)*\n$/

describe('kasmctl health', function () {
  this.timeout(60_000)
  let sandbox: TestSandbox
  let dir: string
  const health = (args: string[], env?: NodeJS.ProcessEnv): Promise<CliResult> => runCli(['health', ...args], {env: env ?? sandbox.env})
  /** The seeded state is graded on content, not speed: a busy CI machine must not turn latency CRITICAL. */
  const patient = ['--timeout', '20s', '--warn-latency', '10s', '--crit-latency', '20s']

  /** A config file holding one context; returns the env that selects it. */
  async function withContext(context: ContextConfig): Promise<NodeJS.ProcessEnv> {
    const path = join(dir, `${context.name}.yaml`)
    await writeFile(path, stringify({contexts: [context], currentContext: context.name}), {mode: 0o600})
    return {...sandbox.env, KASMCTL_CONFIG: path}
  }

  before(async () => {
    sandbox = await useSandbox()
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-health-cli-'))
  })
  afterEach(async () => {
    await sandbox.clearFaults()
  })
  after(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  it('--json: {status, exitCode, context, checkedAt, durationMs, summary, checks, diagnosis, kasmVersion} (docs/json.md), exit 0 when all is well', async () => {
    const result = await health(['--json', ...patient])
    expect(result.exitCode, result.stdout + result.stderr).to.equal(0)
    const report = JSON.parse(result.stdout)
    expect(Object.keys(report)).to.have.members(['status', 'exitCode', 'context', 'checkedAt', 'durationMs', 'summary', 'checks', 'diagnosis', 'kasmVersion'])
    // The default roles read the API, not the database: the version comes from the API's shape.
    expect(report.kasmVersion).to.deep.equal({alembicRevision: null, evidence: 'get_zones has 7 of the 7 RDP fields', source: 'api', version: '1.19', warning: null})
    expect(report).to.include({context: 'sandbox', exitCode: 0, status: 'OK'})
    expect(report.summary).to.deep.equal({checks: report.checks.length, critical: 0, ok: report.checks.length, unknown: 0, warning: 0})
    for (const check of report.checks) {
      expect(Object.keys(check)).to.have.members(['role', 'target', 'check', 'status', 'value', 'unit', 'threshold', 'message', 'durationMs'])
    }

    expect(report.checks.find((c: {check: string; target: string}) => c.target === 'webapp-1' && c.check === 'healthcheck')).to.deep.include({
      role: 'webapp',
      status: 'OK',
      threshold: {critical: 20_000, direction: 'above', warning: 10_000},
      unit: 'ms',
    })
  })

  it('--all: a table grouped by role, a summary, exit 1 for the seeded warnings and no CRITICAL', async () => {
    const result = await health(['--all', ...patient])
    expect(result.exitCode, result.stdout + result.stderr).to.equal(1)
    expect(result.stdout).to.match(/^ROLE\s+TARGET\s+CHECK\s+VALUE\s+REASON$/m)
    for (const role of ['api', 'webapp', 'proxy', 'agent', 'manager', 'connection-proxy', 'db', 'backup', 'zone']) {
      expect(result.stdout).to.match(new RegExp(`^${role}\\s+[✓!]\\s`, 'm'))
    }

    expect(result.stdout).to.match(/\n\nKasm version: 1\.19 \(database: alembic revision bfc22f00ad19\)\nWARNING: \d+ warning \(\d+ checks in .*, context sandbox\)\n$/)
    expect(result.stdout).not.to.include('\u001B[')
    expect(result.stdout).not.to.include('✗')
  })

  it('--nagios: one monitoring-plugin line with perfdata, and the same exit code', async () => {
    const result = await health(['--all', '--nagios', ...patient])
    expect(result.exitCode, result.stdout).to.equal(1)
    expect(result.stdout).to.match(NAGIOS_LINE)
    expect(result.stdout).to.match(/^KASM WARNING - \d+ warning: /)
    expect(result.stdout).to.match(/ webapp_latency_ms=\d+ms;10000;20000;0; /)
    expect(result.stdout).to.match(/ agent_checkin_s=\d+s;90;300;0; /)
  })

  describe('faults: exit code and Nagios line', () => {
    it('web app answering 500: CRITICAL (2) in every output mode', async () => {
      await sandbox.fault({kind: 'webapp-status', status: 500, target: 'webapp-1'})
      const [nagios, json] = await Promise.all([health(['--role', 'webapp', '--nagios', ...patient]), health(['--json', ...patient])])
      expect(nagios.exitCode).to.equal(2)
      expect(nagios.stdout).to.match(NAGIOS_LINE)
      expect(nagios.stdout).to.match(/^KASM CRITICAL - 1 critical: webapp-1 healthcheck: HTTP 500/)
      expect(json.exitCode).to.equal(2)
      expect(JSON.parse(json.stdout)).to.include({exitCode: 2, status: 'CRITICAL'})
    })

    it('slow web app: WARNING (1) with --warn-latency', async () => {
      await sandbox.fault({kind: 'webapp-delay', ms: 600, target: 'webapp-2'})
      const result = await health(['--role', 'webapp', '--warn-latency', '300ms', '--crit-latency', '20s', '--timeout', '20s', '--nagios'])
      expect(result.exitCode).to.equal(1)
      expect(result.stdout).to.match(/^KASM WARNING - \d+ warning: .*webapp-2 healthcheck: ok but slow: \d+ ms/)
    })

    it('proxy down, and proxy stripping Upgrade: CRITICAL (2)', async () => {
      await sandbox.fault({kind: 'proxy-down', target: 'proxy-http'})
      await sandbox.fault({kind: 'proxy-strip-upgrade', target: 'proxy-https'})
      const result = await health(['--role', 'proxy', '--nagios', ...patient])
      expect(result.exitCode).to.equal(2)
      expect(result.stdout).to.match(NAGIOS_LINE)
      expect(result.stdout).to.match(/^KASM CRITICAL - 3 critical: /)
      expect(result.stdout).to.include('healthcheck: connection refused')
      expect(result.stdout).to.include('websocket: WebSocket upgrade refused through the proxy')
    })

    it('short proxy idle timeout with RDP servers: WARNING (1)', async () => {
      await sandbox.fault({kind: 'proxy-idle-timeout', seconds: 60, target: 'proxy-https'})
      const nagios = await health(['--role', 'proxy', '--nagios', ...patient])
      expect(nagios.exitCode).to.equal(1)
      expect(nagios.stdout).to.match(/^KASM WARNING - 1 warning: proxy-https idle-timeout: /)
      expect(nagios.stdout).to.match(/ proxy_idle_timeout_s=60s;3600:;;0;/)
    })

    it('agent no longer checking in: CRITICAL (2) with --crit-checkin', async () => {
      await sandbox.fault({kind: 'agent-no-checkin', target: 'agent-2'})
      const db = await sandbox.db()
      try {
        await db.query(`UPDATE servers SET last_reported = localtimestamp - interval '2 minutes' WHERE hostname = 'agent-2'`)
      } finally {
        await db.end()
      }

      try {
        const [strict, lenient] = await Promise.all([
          health(['--role', 'agent', '--warn-checkin', '30s', '--crit-checkin', '1m', '--nagios', ...patient]),
          health(['--role', 'agent', '--nagios', ...patient]),
        ])
        expect(strict.exitCode).to.equal(2)
        expect(strict.stdout).to.match(/^KASM CRITICAL - 1 critical, \d+ warning: agent-2 checkin: last check-in 2m ago/)
        expect(lenient.exitCode).to.equal(1)
        expect(lenient.stdout).to.include('agent-2 checkin: last check-in 2m ago (warning > 1m30s, critical > 5m)')
      } finally {
        await sandbox.reset()
      }
    })

    it('database stopped: CRITICAL (2)', async () => {
      await sandbox.stopDatabase()
      try {
        const result = await health(['--role', 'db', '--nagios', ...patient])
        expect(result.exitCode).to.equal(2)
        expect(result.stdout).to.match(/^KASM CRITICAL - 1 critical: \S+ connect: /)
      } finally {
        await sandbox.startDatabase()
      }
    })

    it('stale backup directory: CRITICAL (2)', async () => {
      const backups = join(dir, 'backups')
      await mkdir(backups)
      await fakeBackup(backups, 'sandbox', 72)
      const env = await withContext({...sandbox.context, backup: {dir: backups}})
      const result = await health(['--role', 'backup', '--nagios', ...patient], env)
      expect(result.exitCode).to.equal(2)
      expect(result.stdout).to.match(/^KASM CRITICAL - 1 critical: \S+ newest: kasm_db_sandbox_\S+\.tar is 3d old/)
      expect(result.stdout).to.match(/ backup_newest_s=\d+s;93600;180000;0;/)
    })

    it('expired, self-signed and wrong-host certificates: CRITICAL (2)', async () => {
      const {caFile, certs} = await makeCertificates(join(dir, 'certs'))
      const servers: Server[] = []
      try {
        const hosts = await Promise.all(
          (['valid', 'expired', 'selfSigned', 'wrongHost'] as const).map(async (name) => {
            const {server, url} = await serveHealthcheck(certs[name])
            servers.push(server)
            return {name, roles: ['webapp' as const], url}
          }),
        )
        const env = await withContext({api: {tls: {caFile}, url: hosts[0].url}, hosts, name: 'certs'})
        const result = await health(['--role', 'webapp', '--nagios', ...patient], env)
        expect(result.exitCode).to.equal(2)
        expect(result.stdout).to.match(/^KASM CRITICAL - 3 critical: /)
        expect(result.stdout).to.match(/ webapp_certificate_days=-\d+;21:;7:;0;/)
        // Thresholds are durations (--warn-cert-expiry 400d); the old whole-day flags are deprecated aliases.
        for (const flags of [['--warn-cert-expiry', '400d', '--crit-cert-expiry', '10d'], ['--warn-cert-days', '400', '--crit-cert-expiry', '240h']]) {
          const thresholds = await health(['--role', 'webapp', '--nagios', ...flags, ...patient], env)
          expect(thresholds.stdout, flags.join(' ')).to.match(/ webapp_certificate_days=-\d+;400:;10:;0;/)
        }
      } finally {
        for (const server of servers) server.close()
      }
    })
  })

  describe('UNKNOWN (3) for failures of the tool itself, never oclif\'s 2', () => {
    it('bad flags and bad values', async () => {
      const results = await Promise.all([
        health(['--role', 'nope']),
        health(['--timeout', '5x']),
        health(['--warn-latency', '5s', '--crit-latency', '1s']),
        health(['--nagios', '--json']),
        health(['--concurrency', '0']),
        health(['--no-such-flag']),
        health(['--all', '--role', 'db']),
        health(['--watch', '0s']),
        health(['--warn-cert-expiry', '10d', '--crit-cert-expiry', '30d']),
        health(['--warn-cert-expiry', '30d', '--warn-cert-days', '30']),
        health(['--crit-cert-expiry', '7x']),
      ])
      for (const result of results) expect(result.exitCode, result.stderr).to.equal(3)
      expect(results[0].stderr).to.match(/nope/)
      expect(results[1].stderr).to.include('--timeout "5x" is not a duration')
      expect(results[2].stderr).to.include('--warn-latency (5000 ms) must not be above --crit-latency (1000 ms)')
      expect(results[8].stderr).to.include('--warn-cert-expiry (10 days) must not be below --crit-cert-expiry (30 days)')
      expect(results[9].stderr).to.include('--warn-cert-days').and.include('--warn-cert-expiry')
      expect(results[10].stderr).to.include('--crit-cert-expiry "7x" is not a duration')
    })

    it('in --nagios and --json modes too', async () => {
      const [nagios, json] = await Promise.all([health(['--nagios', '--timeout', 'soon']), health(['--json', '--role', 'nope'])])
      expect(nagios.exitCode).to.equal(3)
      expect(nagios.stdout).to.match(/^KASM UNKNOWN - .*--timeout "soon" is not a duration/)
      expect(json.exitCode).to.equal(3)
      expect(JSON.parse(json.stdout).error).to.include({exitCode: 3})
    })

    it('no context, and a zone that does not exist', async () => {
      const [noContext, zone] = await Promise.all([
        health(['--nagios'], baseEnv({KASMCTL_CONFIG: join(dir, 'none.yaml')})),
        health(['--all', '--zone', 'west']),
      ])
      expect(noContext.exitCode).to.equal(3)
      expect(noContext.stdout).to.match(/^KASM UNKNOWN - no context selected/)
      expect(zone.exitCode).to.equal(3)
      expect(zone.stderr).to.include('zone "west" does not exist: known zones are default, east or enclave')
    })
  })

  it('--zone limits the zone-scoped roles to one zone', async () => {
    const result = await health(['--role', 'agent,manager,zone', '--zone', 'east', '--json'])
    const report = JSON.parse(result.stdout)
    const zoneChecks = report.checks.filter((c: {check: string}) => ['ha-minimum', 'capacity', 'live-manager'].includes(c.check))
    expect(zoneChecks.map((c: {target: string}) => c.target)).to.deep.equal(['east', 'east', 'east'])
    expect(report.checks.map((c: {target: string}) => c.target)).to.include.members(['agent-4', 'agent-5']).and.not.include('agent-1')
  })

  it('--watch redraws in place on a terminal (one header, its time moving on) and exits with the last status on Ctrl-C', async () => {
    const terminal = await Terminal.open('health-watch')
    try {
      await terminal.run('health --role webapp --watch 300ms', sandbox.env)
      const header = /Every 300ms: kasmctl health — (\S+) \(Ctrl-C to stop\)/
      const first = header.exec(await terminal.waitFor(header))![1]
      const redrawn = await terminal.waitFor((screen) => header.exec(screen)?.[1] !== undefined && header.exec(screen)![1] !== first)
      expect(redrawn.match(/Every 300ms/g)).to.have.length(1)
      expect(redrawn.split('\n')[0]).to.match(header)
      expect(redrawn).to.match(/ROLE\s+TARGET/)
      terminal.keys('C-c')
      expect(await terminal.waitFor('exit=')).to.contain('exit=0')
    } finally {
      await terminal.close()
    }
  })

  it('--watch appends a report per interval when stdout is not a terminal, until Ctrl-C', async () => {
    const root = resolve(import.meta.dirname, '../..')
    const bin = resolve(root, process.env.KASMCTL_TEST_BIN ?? 'bin/run.js')
    const child = spawn(process.execPath, [...(bin.endsWith('dev.js') ? ['--import', 'tsx'] : []), bin, 'health', '--role', 'webapp', '--watch', '300ms'], {
      cwd: root,
      env: sandbox.env,
    })
    let stdout = ''
    child.stdout.setEncoding('utf8')
    const twoReports = new Promise<void>((done) => {
      child.stdout.on('data', (chunk: string) => {
        stdout += chunk
        if ((stdout.match(/^--- /gm) ?? []).length >= 2) done()
      })
    })
    const exited = new Promise<null | number>((done) => {
      child.on('close', (code) => done(code))
    })
    await twoReports
    child.kill('SIGINT')
    expect(await exited).to.equal(0)
    expect(stdout).to.match(/^--- \d{4}-\d\d-\d\dT[\d:.]+Z\nROLE\s+TARGET/)
    expect(stdout).not.to.include('\u001B[2J')
  })
})
