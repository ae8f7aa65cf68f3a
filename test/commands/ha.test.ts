import {expect} from 'chai'

import type {HaReport, HaRow} from '../../src/lib/ha/posture.js'
import {runCli} from '../helpers/cli.js'
import {startReplica} from '../helpers/replica.js'
import {type TestSandbox, useSandbox} from '../helpers/sandbox.js'
import {envOnlyContext} from './zone/zone-cli.js'

describe('kasmctl ha', () => {
  let sandbox: TestSandbox
  const ha = async (args: string[] = []) => {
    const result = await runCli(['ha', '--json', ...args], {env: sandbox.env})
    return {...result, report: result.stdout ? (JSON.parse(result.stdout) as HaReport) : undefined}
  }

  const rowOf = (report: HaReport | undefined, role: HaRow['role'], target: string) => {
    const found = report!.rows.find((row) => row.role === role && row.target === target)
    expect(found, `${role} ${target} in ${JSON.stringify(report?.rows.map((r) => [r.role, r.target]))}`).to.not.equal(undefined)
    return found!
  }

  const sql = async (text: string) => {
    const db = await sandbox.db()
    await db.query(text).finally(() => db.end())
  }

  before(async () => {
    sandbox = await useSandbox()
  })
  beforeEach(async () => {
    await sandbox.reset()
  })

  it('grades the seeded deployment role by role: a single database instance and a leaky enclave are CRITICAL (exit 2)', async () => {
    const {exitCode, report, stderr} = await ha()
    expect(exitCode, stderr).to.equal(2)
    expect(Object.keys(report!)).to.have.members(['status', 'exitCode', 'context', 'checkedAt', 'peak', 'rows'])
    for (const row of report!.rows) expect(Object.keys(row)).to.have.members(['role', 'target', 'found', 'minimum', 'impact', 'verdict', 'why'])
    const database = rowOf(report, 'database', '127.0.0.1')
    expect(database.verdict).to.equal('CRITICAL')
    expect(database.found).to.include('a single instance')
    expect(database.why.join('\n')).to.include('Automatic failover required')
    expect(rowOf(report, 'zone-boundary', 'enclave').verdict).to.equal('CRITICAL')
    // The seed's 20 live sessions need 1 web app, N+1 = 2, and the sandbox runs 2.
    expect(rowOf(report, 'webapp', 'deployment')).to.include({verdict: 'OK'})
    expect(report!.peak).to.include({sessions: 20, source: 'accounting'})
    // Agents: the enclave has one agent but no sessions, so the 2-per-zone minimum does not apply yet.
    expect(rowOf(report, 'agent', 'enclave').verdict).to.equal('OK')
    // The default zone has 3 agents, but its sessions would not all find a place without agent-2 (N+1, health's check).
    const agents = rowOf(report, 'agent', 'default')
    expect(agents.verdict).to.equal('WARNING')
    expect(agents.found).to.include('3 live of 3 enabled / 3 agents; no AutoScaling;').and.include('losing agent-2 would leave').and.include('(N+1 not met)')
    expect(agents.why.join('\n')).to.include('provision enough Agents that losing one does not exhaust capacity')
    expect(rowOf(report, 'connection-proxy', 'default').verdict).to.equal('OK')
  })

  it('finds a real streaming replica of the database (pg_stat_replication) and passes the database row', async () => {
    const replica = await startReplica(sandbox.state)
    try {
      const {report} = await ha()
      const database = rowOf(report, 'database', '127.0.0.1')
      expect(database.verdict).to.equal('OK')
      // The sandbox's kasmapp is no superuser nor pg_monitor member: PostgreSQL lists the standby but hides its columns.
      expect(database.found).to.match(/^1 streaming replica\(s\): a standby \(details hidden: grant pg_monitor to see them\); failover automation/)
      expect(database.why.join('\n')).to.include('PostgreSQL streaming replication; automated failover')
    } finally {
      await replica.stop()
    }
  })

  it('warns when one web app is left for the peak in Kasm\'s session history (N+1 not met)', async () => {
    // 200 sessions ran at once yesterday (accounting rows): 2 web apps at 150 each, 3 with N+1.
    await sql(`INSERT INTO accounting (kasm_id, start_date, destroyed_date, zone_id, zone_name)
               SELECT gen_random_uuid(), localtimestamp - interval '26 hours', localtimestamp - interval '25 hours', zone_id, zone_name
                 FROM zones, generate_series(1, 200) WHERE zone_name = 'default'`)
    await sandbox.stopWebapp('webapp-2')
    const {exitCode, report} = await ha()
    expect(exitCode).to.equal(2)
    expect(report!.peak).to.include({sessions: 200, source: 'accounting'})
    const webapp = rowOf(report, 'webapp', 'deployment')
    expect(webapp.verdict).to.equal('WARNING')
    expect(webapp.found).to.equal('1 healthy of 2 web app(s) in the context; peak 200 concurrent sessions from Kasm\'s session history needs 2 at 150 per web app (standard, remote-work), so 3 with N+1')
    // At 200 sessions with internal logging kept 7 days, the guide wants a SIEM and retention 0.
    const logs = rowOf(report, 'log-volume', 'logging')
    expect(logs.verdict).to.equal('WARNING')
    expect(logs.found).to.include('log_protocol internal, log_retention 7 days, peak 200 sessions').and.include('forward logs to a SIEM and set log_retention to 0')
  })

  it('counts sessions that end as others start once: the peak of back-to-back sessions is one batch', async () => {
    // Two batches of 80, 6-5 h and 5-4 h ago (before the seed's 20 live sessions, all under 100 minutes old).
    await sql(`INSERT INTO accounting (kasm_id, start_date, destroyed_date, zone_id)
               SELECT gen_random_uuid(), localtimestamp - interval '6 hours' + (batch * interval '1 hour'), localtimestamp - interval '5 hours' + (batch * interval '1 hour'), zone_id
                 FROM zones, generate_series(0, 1) AS batch, generate_series(1, 80) WHERE zone_name = 'default'`)
    const {report} = await ha()
    expect(report!.peak).to.include({sessions: 80, source: 'accounting'})
    // Outside the window, even 500 sessions do not count.
    await sql(`INSERT INTO accounting (kasm_id, start_date, destroyed_date) SELECT gen_random_uuid(), localtimestamp - interval '40 days', localtimestamp - interval '39 days' FROM generate_series(1, 500)`)
    expect((await ha()).report!.peak.sessions).to.equal(80)
    expect((await ha(['--history', '60d'])).report!.peak.sessions).to.equal(500)
  })

  it('warns about a zone with sessions left with one live agent, and about RDP servers with one connection proxy', async () => {
    await sql(`UPDATE servers SET enabled = false WHERE hostname IN ('agent-1', 'agent-3')`)
    await sql(`DELETE FROM connection_proxies WHERE server_address = 'guac-2'`)
    const {report} = await ha()
    const agents = rowOf(report, 'agent', 'default')
    expect(agents.verdict).to.equal('WARNING')
    expect(agents.found).to.include('1 live of 1 enabled / 3 agents').and.include('no AutoScaling')
    const cpx = rowOf(report, 'connection-proxy', 'default')
    expect(cpx.verdict).to.equal('WARNING')
    expect(cpx.found).to.equal('1 live connection proxy(ies) for 2 RDP/VNC/SSH server(s): no redundancy (2 recommended)')
    expect(cpx.why.join('\n')).to.include('it is recommended to have at least two for redundancy')
  })

  it('names the AutoScaling of a zone, and says it cannot add agents while the upstream auth address is left at its default', async () => {
    await sql(`UPDATE servers SET enabled = false WHERE hostname = 'agent-5'`)
    const {report} = await ha()
    const east = rowOf(report, 'agent', 'east')
    expect(east.found).to.include('AutoScaling (east-autoscale) cannot add agents: upstream_auth_address is left at its default')
    expect(east.verdict).to.equal('WARNING')
  })

  it('prints the HA guide\'s table with the reasons of what is not OK', async () => {
    const result = await runCli(['ha'], {env: sandbox.env})
    expect(result.exitCode).to.equal(2)
    expect(result.stdout).to.match(/^ROLE\s+TARGET\s+VERDICT\s+FOUND\s+MINIMUM FOR HA\s+FAILURE IMPACT$/m)
    expect(result.stdout).to.match(/^database\s+127\.0\.0\.1\s+CRITICAL\s+a single instance/m)
    expect(result.stdout).to.include('Why:\n')
    expect(result.stdout).to.include('Single containerized instance · None · Small teams, development, and Proof-of-Concept')
  })

  it('without a database or web app hosts, says what it could not check and judges against the live sessions', async () => {
    const result = await runCli(['ha', '--json'], {env: await envOnlyContext(sandbox)})
    const report = JSON.parse(result.stdout) as HaReport
    expect(report.peak).to.include({sessions: 20, source: 'live-sessions'})
    expect(rowOf(report, 'database', 'database')).to.include({verdict: 'UNKNOWN'})
    expect(rowOf(report, 'webapp', 'deployment')).to.include({found: 'the context lists no web app hosts: add them (role webapp) to count them', verdict: 'UNKNOWN'})
    // The live sessions still tell which zones have sessions: the enclave has none.
    expect(rowOf(report, 'agent', 'enclave').found).to.include('no sessions in this zone')
    expect(rowOf(report, 'agent', 'default').found).to.include('(N+1 not met)')
  })

  it('treats a bad flag as UNKNOWN (exit 3), naming the valid values', async () => {
    const result = await runCli(['ha', '--use-case', 'trading'], {env: sandbox.env})
    expect(result.exitCode).to.equal(3)
    expect(result.stderr).to.include('use remote-work, browser-isolation or gaming')
  })
})
