import {expect} from 'chai'
import type {Server} from 'node:https'
import {mkdir, mkdtemp, rm, truncate, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {backupFileName} from '../../../src/lib/backup/naming.js'
import type {ContextConfig} from '../../../src/lib/config/types.js'
import type {KasmClient} from '../../../src/lib/kasm/client.js'
import {type HealthOptions, resolveThresholds, runHealth} from '../../../src/lib/health/run.js'
import type {HealthCheck, HealthReport} from '../../../src/lib/health/types.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {startSshd, type TestSshd} from '../../helpers/sshd.js'
import {type CertName, fakeBackup, makeCertificates, serveHealthcheck} from './fixtures.js'

/** The one check of a report with this role, target and aspect. */
function find(report: HealthReport, role: string, target: string, check: string): HealthCheck {
  const found = report.checks.find((c) => c.role === role && c.target === target && c.check === check)
  if (!found) throw new Error(`no ${role} ${target} ${check} check in ${JSON.stringify(report.checks.map((c) => [c.role, c.target, c.check]))}`)
  return found
}

describe('health checks (against the sandbox)', function () {
  this.timeout(60_000)
  let sandbox: TestSandbox
  let proxyUrl: {http: string; https: string}

  /** runHealth on the sandbox context (or a variant of it), closing the API client afterwards. */
  async function health(options: Partial<HealthOptions> = {}): Promise<HealthReport> {
    let client: KasmClient | undefined
    try {
      return await runHealth({
        client: async () => (client = await sandbox.client()),
        context: sandbox.context,
        // Faults are graded on content, not speed: a busy CI machine must not turn latency CRITICAL.
        thresholds: resolveThresholds({latencyMs: {critical: 20_000, warning: 10_000}}),
        timeoutMs: 20_000,
        ...options,
      })
    } finally {
      client?.close()
    }
  }

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
    const url = (scheme: string) => sandbox.context.proxies!.find((p) => p.startsWith(`${scheme}:`))!.replace(/\/+$/, '')
    proxyUrl = {http: url('http'), https: url('https')}
  })
  afterEach(async () => {
    await sandbox.clearFaults()
  })

  it('reports the seeded sandbox with no CRITICAL: only the seeded zone and log findings warn', async () => {
    const report = await health({all: true})
    expect(report.summary.critical, JSON.stringify(report.checks.filter((c) => c.status === 'CRITICAL'))).to.equal(0)
    expect(report.status).to.equal('WARNING')
    expect(new Set(report.checks.map((c) => c.role))).to.deep.equal(
      new Set(['api', 'webapp', 'proxy', 'agent', 'manager', 'connection-proxy', 'db', 'backup', 'zone']),
    )
    expect(find(report, 'webapp', 'webapp-1', 'healthcheck').status).to.equal('OK')
    expect(find(report, 'proxy', proxyUrl.https, 'certificate'), JSON.stringify(find(report, 'proxy', proxyUrl.https, 'certificate'))).to.include({status: 'OK'})
    expect(find(report, 'proxy', proxyUrl.http, 'websocket'), JSON.stringify(report.checks)).to.include({status: 'OK'})
    expect(find(report, 'proxy', 'proxy-http', 'idle-timeout')).to.include({status: 'OK', value: 3600})
    expect(find(report, 'connection-proxy', 'default', 'coverage')).to.include({status: 'OK', value: 2})
    // east and enclave hold agents but no manager ever registered there.
    expect(find(report, 'manager', 'default', 'live-manager').status).to.equal('OK')
    expect(find(report, 'manager', 'east', 'live-manager').status).to.equal('WARNING')
    expect(report.diagnosis).to.deep.equal([])
  })

  it('checks only the API and the web apps by default', async () => {
    const report = await health()
    expect([...new Set(report.checks.map((c) => c.role))]).to.deep.equal(['api', 'webapp'])
    expect(report.status, JSON.stringify(report.checks)).to.equal('OK')
    expect(find(report, 'api', proxyUrl.https, 'auth').status).to.equal('OK')
  })

  describe('web apps', () => {
    it('is CRITICAL when a web app answers 500, and says it fails directly', async () => {
      await sandbox.fault({kind: 'webapp-status', status: 500, target: 'webapp-1'})
      const report = await health({roles: ['webapp']})
      expect(find(report, 'webapp', 'webapp-1', 'healthcheck')).to.include({status: 'CRITICAL'})
      expect(find(report, 'webapp', 'webapp-1', 'healthcheck').message).to.match(/^HTTP 500.*\(the healthcheck queries the database: is it up\?\)$/)
      expect(find(report, 'webapp', 'webapp-2', 'healthcheck').status).to.equal('OK')
      expect(report.exitCode).to.equal(2)
      expect(report.diagnosis.join('\n')).to.match(/webapp-1: HTTP 500 — failing directly/)
    })

    it('warns on a slow web app and is CRITICAL when it does not answer within the timeout', async () => {
      await sandbox.fault({kind: 'webapp-delay', ms: 600, target: 'webapp-2'})
      const thresholds = resolveThresholds({latencyMs: {critical: 5000, warning: 300}})
      const slow = await health({roles: ['webapp'], thresholds})
      expect(find(slow, 'webapp', 'webapp-2', 'healthcheck')).to.include({status: 'WARNING', unit: 'ms'})
      expect(find(slow, 'webapp', 'webapp-1', 'healthcheck').status).to.equal('OK')

      const hung = await health({roles: ['webapp'], thresholds, timeoutMs: 300})
      expect(find(hung, 'webapp', 'webapp-2', 'healthcheck')).to.include({message: 'timed out after 300ms', status: 'CRITICAL'})
    })
  })

  describe('reverse proxies', () => {
    it('a proxy that answers 502 (no web app behind it answers) is told apart from a web app failing its healthcheck', async () => {
      await sandbox.stopWebapp('webapp-1')
      await sandbox.stopWebapp('webapp-2')
      try {
        const report = await health({roles: ['api']})
        const check = find(report, 'api', proxyUrl.https, 'healthcheck')
        expect(check.status).to.equal('CRITICAL')
        expect(check.message).to.match(/^HTTP 502.*\(the proxy could not reach a web app behind it: are the Kasm services running\?\)$/)
      } finally {
        await sandbox.startWebapp('webapp-1')
        await sandbox.startWebapp('webapp-2')
      }
    })

    it('is CRITICAL when a proxy is down, and tells it from the web apps', async () => {
      await sandbox.fault({kind: 'proxy-down', target: 'proxy-http'})
      const report = await health({roles: ['proxy']})
      expect(find(report, 'proxy', proxyUrl.http, 'healthcheck')).to.include({message: 'connection refused', status: 'CRITICAL'})
      expect(find(report, 'proxy', proxyUrl.https, 'healthcheck').status).to.equal('OK')
      // The web apps are reachable from the proxy host: the proxy itself is the problem.
      expect(find(report, 'proxy', 'proxy-http → webapp-1', 'from-proxy').status).to.equal('OK')
      expect(report.diagnosis).to.deep.equal([`${proxyUrl.http} does not answer (connection refused) although the web apps are up: the proxy is down or not listening.`])
    })

    it('is CRITICAL when a proxy strips the WebSocket Upgrade headers', async () => {
      await sandbox.fault({kind: 'proxy-strip-upgrade', target: 'proxy-https'})
      const report = await health({roles: ['proxy']})
      expect(find(report, 'proxy', proxyUrl.https, 'websocket').status).to.equal('CRITICAL')
      expect(find(report, 'proxy', proxyUrl.https, 'healthcheck').status).to.equal('OK')
      expect(find(report, 'proxy', proxyUrl.http, 'websocket').status).to.equal('OK')
      expect(report.diagnosis.join('\n')).to.include(`${proxyUrl.https} does not pass WebSocket upgrades: users can load the UI but sessions will not connect`)
    })

    it('warns about a short nginx idle timeout when the deployment has RDP servers', async () => {
      await sandbox.fault({kind: 'proxy-idle-timeout', seconds: 60, target: 'proxy-http'})
      const report = await health({roles: ['proxy']})
      const idle = find(report, 'proxy', 'proxy-http', 'idle-timeout')
      expect(idle).to.include({status: 'WARNING', unit: 's', value: 60})
      expect(idle.message).to.match(/proxy_read_timeout 60s, proxy_send_timeout 60s < 3600s: idle 2 RDP server\(s\) will disconnect/)
      expect(find(report, 'proxy', 'proxy-https', 'idle-timeout').status).to.equal('OK')
      expect(report.diagnosis.join('\n')).to.include('proxy-http closes idle proxied connections after 60s: idle RDP sessions will disconnect')
    })
  })

  describe('proxy hosts over SSH', () => {
    let sshd: TestSshd
    before(async () => {
      sshd = await startSshd()
    })
    after(async () => {
      await sshd.stop()
    })

    it('curls the web apps from the proxy host and reads its nginx timeouts through ssh', async () => {
      await sandbox.fault({kind: 'proxy-idle-timeout', seconds: 300, target: 'proxy-https'})
      const hosts = sandbox.context.hosts!.map((h) => (h.roles.includes('proxy') ? sshd.host(h.name, {kasmRoot: h.kasmRoot, roles: ['proxy']}) : h))
      const unreachable = {...sshd.host('proxy-gone', {roles: ['proxy']}), sshOptions: ['-p', '1', '-o', 'ConnectTimeout=2']}
      const report = await health({context: {...sandbox.context, hosts: [...hosts, unreachable]}, roles: ['proxy']})
      expect(find(report, 'proxy', 'proxy-https → webapp-2', 'from-proxy').message).to.match(/^reachable from proxy-https: ok in \d+ ms$/)
      expect(find(report, 'proxy', 'proxy-https', 'idle-timeout')).to.include({status: 'WARNING', value: 300})
      expect(find(report, 'proxy', 'proxy-http', 'idle-timeout')).to.include({status: 'OK', value: 3600})
      const gone = find(report, 'proxy', 'proxy-gone → webapp-1', 'from-proxy')
      expect(gone.status).to.equal('UNKNOWN')
      expect(gone.message).to.match(/^host proxy-gone is unreachable over SSH/)
    })
  })

  describe('agents, managers and connection proxies', () => {
    afterEach(async () => {
      await sandbox.reset()
    })

    it('grades an agent that stopped checking in by the age of its last check-in', async () => {
      await sandbox.fault({kind: 'agent-no-checkin', target: 'agent-3'})
      const db = await sandbox.db()
      try {
        await db.query(`UPDATE servers SET last_reported = localtimestamp - interval '2 minutes' WHERE hostname = 'agent-3'`)
        const warning = await health({roles: ['agent']})
        expect(find(warning, 'agent', 'agent-3', 'checkin')).to.include({status: 'WARNING'})
        expect(find(warning, 'agent', 'agent-1', 'checkin').status).to.equal('OK')

        await db.query(`UPDATE servers SET last_reported = localtimestamp - interval '10 minutes' WHERE hostname = 'agent-3'`)
        const critical = await health({roles: ['agent']})
        expect(find(critical, 'agent', 'agent-3', 'checkin')).to.include({status: 'CRITICAL'})
        expect(find(critical, 'agent', 'default', 'ha-minimum')).to.include({status: 'OK', value: 2})
        expect(critical.diagnosis.join('\n')).to.include('Agent(s) agent-3 stopped checking in')

        // Thresholds from the flags: 2 minutes is CRITICAL with --crit-checkin 60s.
        await db.query(`UPDATE servers SET last_reported = localtimestamp - interval '2 minutes' WHERE hostname = 'agent-3'`)
        const strict = await health({roles: ['agent'], thresholds: resolveThresholds({checkinSeconds: {critical: 60, warning: 30}})})
        expect(find(strict, 'agent', 'agent-3', 'checkin').status).to.equal('CRITICAL')
      } finally {
        await db.end()
      }
    })

    it('warns when a zone is down to one live agent (HA minimum 2)', async () => {
      const db = await sandbox.db()
      try {
        await db.query(`UPDATE servers SET enabled = false WHERE hostname = 'agent-5'`)
      } finally {
        await db.end()
      }

      const report = await health({roles: ['agent'], zone: 'east'})
      expect(find(report, 'agent', 'east', 'ha-minimum')).to.include({status: 'WARNING', value: 1})
      expect(find(report, 'agent', 'agent-5', 'checkin').message).to.match(/^disabled/)
      expect(report.checks.every((c) => c.target !== 'agent-1')).to.equal(true)
    })

    it('is CRITICAL for a zone whose managers exist but none checks in, and for a stale manager', async () => {
      const db = await sandbox.db()
      try {
        await db.query(
          `INSERT INTO managers (manager_hostname, manager_version, first_reported, last_reported, zone_id)
           SELECT 'webapp-east', '1.19.0', localtimestamp - interval '2 days', localtimestamp - interval '1 hour', zone_id FROM zones WHERE zone_name = 'east'`,
        )
      } finally {
        await db.end()
      }

      const report = await health({roles: ['manager']})
      expect(find(report, 'manager', 'webapp-east', 'checkin').status).to.equal('CRITICAL')
      expect(find(report, 'manager', 'east', 'live-manager')).to.include({status: 'CRITICAL', value: 0})
      expect(find(report, 'manager', 'default', 'live-manager').status).to.equal('OK')
      expect(find(report, 'manager', 'enclave', 'live-manager').status).to.equal('WARNING')
    })

    it('needs a live connection proxy in a zone with RDP servers (CRITICAL) and two of them (WARNING)', async () => {
      const db = await sandbox.db()
      try {
        await db.query(`UPDATE servers SET zone_id = (SELECT zone_id FROM zones WHERE zone_name = 'east') WHERE hostname IN ('rdp-1', 'rdp-2')`)
        const none = await health({roles: ['connection-proxy']})
        expect(find(none, 'connection-proxy', 'east', 'coverage')).to.include({status: 'CRITICAL', value: 0})

        await db.query(
          `UPDATE connection_proxies SET zone_id = (SELECT zone_id FROM zones WHERE zone_name = 'east')
            WHERE connection_proxy_id = (SELECT min(connection_proxy_id::text)::uuid FROM connection_proxies)`,
        )
        const one = await health({roles: ['connection-proxy']})
        expect(find(one, 'connection-proxy', 'east', 'coverage')).to.include({status: 'WARNING', value: 1})
      } finally {
        await db.end()
      }
    })
  })

  describe('database', () => {
    it('is CRITICAL when the database is stopped, and names it as the cause', async () => {
      await sandbox.stopDatabase()
      try {
        const report = await health({roles: ['db', 'webapp']})
        expect(find(report, 'db', report.checks.find((c) => c.role === 'db')!.target, 'connect').status).to.equal('CRITICAL')
        expect(find(report, 'webapp', 'webapp-1', 'healthcheck').status).to.equal('CRITICAL')
        expect(report.diagnosis[0]).to.match(/^The database is unreachable/)
      } finally {
        await sandbox.startDatabase()
      }
    })

    it('reports size, connections and log retention when it is up', async () => {
      const report = await health({roles: ['db']})
      const byCheck = Object.fromEntries(report.checks.map((c) => [c.check, c]))
      expect(Object.keys(byCheck)).to.have.members(['connect', 'size', 'connections', 'logs-table', 'logs-dead-tuples', 'log-retention'])
      expect(byCheck.connect.message).to.match(/^PostgreSQL \d+/)
      expect(byCheck.connections).to.include({status: 'OK', unit: '%'})
      expect(byCheck['log-retention'].threshold).to.deep.equal({critical: 14, direction: 'above', warning: 8})
    })

    it('does not judge dead rows while PostgreSQL has no row counts (statistics reset by a restore), and says why', async () => {
      const target = `127.0.0.1:${sandbox.state.postgres.port}/kasm`
      await sandbox.reset()
      const db = await sandbox.db()
      try {
        // What a restore or a crash leaves: the planner's estimate (pg_class) is there, the row counts are zero.
        await db.query('SELECT pg_stat_reset()')
        const reset = find(await health({roles: ['db']}), 'db', target, 'logs-dead-tuples')
        expect(reset, reset.message).to.include({status: 'OK', value: null})
        expect(reset.message).to.match(/^no row counts since PostgreSQL's statistics were reset .* about [\d,]+ rows: dead rows cannot be judged/)
        await db.query('VACUUM ANALYZE logs')
        const counted = find(await health({roles: ['db']}), 'db', target, 'logs-dead-tuples')
        expect(counted.message).to.match(/^0 dead of [\d,]+ rows \(0%\)$/)
        expect(counted.value).to.equal(0)
      } finally {
        await db.end()
      }
    })
  })

  describe('backups', () => {
    let dir: string
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'kasmctl-health-backups-'))
    })
    after(async () => {
      await rm(dir, {force: true, recursive: true})
    })

    async function backupCheck(target: string): Promise<HealthCheck> {
      const report = await health({context: {...sandbox.context, backup: {dir: target}}, roles: ['backup']})
      return find(report, 'backup', target, 'newest')
    }

    it('grades the newest complete backup by age: stale is CRITICAL', async () => {
      const stale = join(dir, 'stale')
      await mkdir(stale)
      await fakeBackup(stale, 'sandbox', 72)
      expect(await backupCheck(stale)).to.include({status: 'CRITICAL', unit: 's'})
      await fakeBackup(stale, 'sandbox', 30)
      expect(await backupCheck(stale)).to.include({status: 'WARNING'})
      await fakeBackup(stale, 'sandbox', 1)
      const fresh = await backupCheck(stale)
      expect(fresh.status).to.equal('OK')
      expect(fresh.value).to.be.within(3500, 3700)
    })

    it('grades by the newest sound backup, and warns about a damaged newer one', async () => {
      const damaged = join(dir, 'damaged')
      await mkdir(damaged)
      await fakeBackup(damaged, 'sandbox', 2)
      await truncate(await fakeBackup(damaged, 'sandbox', 1), 5)
      const check = await backupCheck(damaged)
      expect(check).to.include({status: 'WARNING'})
      expect(check.value).to.be.within(7100, 7300)
      expect(check.message).to.contain('1 damaged backup(s) not counted')
    })

    it('warns when there is no backup yet, or only an incomplete one', async () => {
      expect((await backupCheck(join(dir, 'missing'))).message).to.match(/^no backup yet: .* does not exist/)
      const partial = join(dir, 'partial')
      await mkdir(partial)
      await writeFile(join(partial, `${backupFileName('sandbox', new Date(), 'tar', 'none')}.partial`), '')
      expect(await backupCheck(partial)).to.include({status: 'WARNING'})
    })
  })

  describe('certificates', () => {
    const servers: Server[] = []
    let context: ContextConfig
    let certDir: string
    before(async () => {
      certDir = await mkdtemp(join(tmpdir(), 'kasmctl-health-certs-'))
      const {caFile, certs} = await makeCertificates(certDir)
      const hosts = await Promise.all(
        (Object.keys(certs) as CertName[]).map(async (name) => {
          const {server, url} = await serveHealthcheck(certs[name])
          servers.push(server)
          return {name, roles: ['webapp' as const], url}
        }),
      )
      context = {api: {tls: {caFile}, url: hosts[0].url}, hosts, name: 'certificates'}
    })
    after(async () => {
      for (const server of servers) server.close()
      await rm(certDir, {force: true, recursive: true})
    })

    it('checks trust, host name and days to expiry of each web app certificate', async () => {
      const report = await health({client: () => Promise.reject(new Error('not used')), context, roles: ['webapp']})
      const cert = (name: CertName) => find(report, 'webapp', name, 'certificate')
      expect(cert('valid')).to.include({status: 'OK', unit: 'd'})
      expect(cert('expiring')).to.include({status: 'WARNING'})
      expect(cert('critical')).to.include({status: 'CRITICAL'})
      expect(cert('expired').message).to.match(/^the certificate has expired \(CN 127.0.0.1\); expires 2020-02-01/)
      expect(cert('wrongHost').message).to.match(/^the certificate does not match the host name \(CN kasm.example.com\)/)
      expect(cert('selfSigned').message).to.match(/^self-signed certificate \(not trusted\)/)
      for (const name of ['expired', 'wrongHost', 'selfSigned'] as const) expect(cert(name).status).to.equal('CRITICAL')
      // A bad certificate is reported, and the healthcheck behind it still runs.
      expect(find(report, 'webapp', 'expired', 'healthcheck').status).to.equal('OK')
    })
  })
})
