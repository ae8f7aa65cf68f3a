import {expect} from 'chai'

import {KASM_VERSIONS} from '../../../src/lib/kasm/version.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {kasmctl} from '../zone/zone-cli.js'

type Row = Record<string, unknown>

async function sql(sandbox: TestSandbox, text: string): Promise<void> {
  const db = await sandbox.db()
  try {
    await db.query(text)
  } finally {
    await db.end()
  }
}

async function json(args: string[], env?: NodeJS.ProcessEnv): Promise<{exitCode: number; report: Row}> {
  const result = await kasmctl([...args, '--json'], {env})
  return {exitCode: result.exitCode, report: JSON.parse(result.stdout)}
}

describe('kasmctl autoscale status', () => {
  let sandbox: TestSandbox
  beforeEach(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  it('on the seeded sandbox: OK (exit 0), a disabled config says so, east keeps its standby', async () => {
    const {exitCode, report} = await json(['autoscale', 'status'])
    expect(exitCode).to.equal(0)
    const configs = report.configs as Array<Row & {reasons: string[]}>
    expect(configs.map((c) => [c.autoscale_config_name, c.status])).to.deep.equal([['east-autoscale', 'OK'], ['rdp-autoscale', 'OK']])
    expect(configs[1].reasons).to.deep.equal(['disabled: Kasm does not scale with this config'])
    expect(configs[0].docker_agent).to.have.property('agents_to_add', 0)
  })

  it('a server left in starting by the default upstream auth address: waiting, then CRITICAL with the cause and the call it needs', async () => {
    // rdp-1 and rdp-2 each take 1 session; a minimum of 3 makes the autoscaler add one server.
    await sql(sandbox, `UPDATE autoscale_configs SET enabled = true, minimum_pool_standby_sessions = 3 WHERE autoscale_config_name = 'rdp-autoscale'`)
    await sandbox.tick()
    const waiting = await json(['autoscale', 'status', 'rdp-autoscale'])
    expect(waiting.exitCode).to.equal(0)
    const pool = (waiting.report.configs as Array<{reasons: string[]; server_pool: Row}>)[0]
    expect(pool.server_pool).to.include({available_sessions: 2, minimum_available_sessions: 3, pending_sessions: 1, servers_to_add: 0})
    expect(pool.reasons.join('\n')).to.match(/rdp-autoscale-[\da-f]{6} starting for (\d+[dhms])+: waiting for it to call set_server_status \(check-in timeout 10m\)/)

    // Twenty minutes on (moved back rather than waited for), it still has not checked in.
    await sql(sandbox, `UPDATE servers SET created = created - interval '20 minutes' WHERE autoscale_config_id IS NOT NULL`)
    await sandbox.tick()
    const stuck = await json(['autoscale', 'status', 'rdp-autoscale'])
    expect(stuck.exitCode).to.equal(2)
    const config = (stuck.report.configs as Array<Row & {stuck: Row[]}>)[0]
    expect(config.status).to.equal('CRITICAL')
    expect(config.stuck).to.have.length(1)
    expect(config.stuck[0].cause).to.include('zone default\'s upstream_auth_address is left at its default "$request_host$": a new server cannot reach the API to check in')
    expect(config.stuck[0].checkin_call).to.include('/api/set_server_status?token={checkin_jwt}')

    const human = await kasmctl(['autoscale', 'status', 'rdp-autoscale'])
    expect(human.exitCode).to.equal(2)
    expect(human.stdout).to.match(/^CRITICAL: rdp-autoscale \(Server Pool, zone default, pool rdp-pool\)/)
    expect(human.stdout).to.match(/starting for 20m\d*s?, past the check-in timeout of 10m/)
    expect(human.stdout).to.include('needs to check in with:')

    expect((await json(['autoscale', 'status', 'rdp-autoscale', '--checkin-timeout', '1h'])).exitCode, 'within a longer timeout').to.equal(0)
  })

  it('zone lint and health --all say why the servers never joined, citing the guides', async () => {
    await sql(sandbox, `UPDATE autoscale_configs SET enabled = true, minimum_pool_standby_sessions = 3 WHERE autoscale_config_name = 'rdp-autoscale'`)
    await sandbox.tick()
    await sql(sandbox, `UPDATE servers SET created = created - interval '20 minutes' WHERE autoscale_config_id IS NOT NULL`)

    const lint = await json(['zone', 'lint'])
    expect(lint.exitCode).to.equal(2)
    const findings = lint.report.findings as Row[]
    const stuck = findings.find((f) => f.rule === 'autoscale-checkin-stuck')!
    expect(stuck).to.include({severity: 'error', zone: 'default'})
    expect(stuck.message).to.match(/^rdp-autoscale: require_checkin is on and rdp-autoscale-[\da-f]{6} \(20 min\) never left starting/)
    expect(stuck.reason).to.include('AutoScale guide: with Require Checkin the system waits to receive a callback')
    expect(findings.filter((f) => f.rule === 'autoscale-upstream-auth').map((f) => f.zone)).to.deep.equal(['default', 'east'])

    const health = await json(['health', '--all'])
    const check = (health.report.checks as Row[]).find((c) => c.check === 'autoscale-checkin-stuck')!
    expect(check).to.include({role: 'zone', status: 'WARNING', target: 'default'})
    expect(check.message).to.include('upstream_auth_address is left at its default')
  })

  it('a minimum the pool can never reach: WARNING here (provider at max_instances), an error for zone lint', async () => {
    await sql(sandbox, `UPDATE autoscale_configs SET enabled = true, minimum_pool_standby_sessions = 50, require_checkin = false WHERE autoscale_config_name = 'rdp-autoscale'`)
    await sandbox.tick()
    const {exitCode, report} = await json(['autoscale', 'status', 'rdp-autoscale'])
    expect(exitCode).to.equal(1)
    const [config] = report.configs as Array<{reasons: string[]}>
    expect(config.reasons.join('\n')).to.include('more server(s) needed but the VM provider is at its max_instances')

    const lint = await json(['zone', 'lint'])
    const finding = (lint.report.findings as Row[]).find((f) => f.rule === 'autoscale-min-unreachable')!
    expect(finding.message).to.equal('rdp-autoscale: Minimum Available Sessions 50 is more than the pool can ever offer: 6 (2 on its own servers + max_instances 4 × 1)')
  })

  it('an enabled config whose pool was deleted is CRITICAL, and an error for zone lint', async () => {
    const client = await sandbox.client()
    try {
      const [pool] = (await client.getServerPools()).filter((p) => p.server_pool_name === 'east-pool')
      await client.call('delete_server_pool', {target_server_pool: {server_pool_id: pool.server_pool_id}})
    } finally {
      client.close()
    }

    const {exitCode, report} = await json(['autoscale', 'status', 'east-autoscale'])
    expect(exitCode).to.equal(2)
    expect((report.configs as Array<{reasons: string[]}>)[0].reasons).to.include('it has no server pool (deleted?): Kasm has nowhere to add servers')
    const lint = await json(['zone', 'lint'])
    expect((lint.report.findings as Row[]).filter((f) => f.rule === 'autoscale-orphan').map((f) => f.zone)).to.deep.equal(['east'])
  })

  it('usage errors and refusals are UNKNOWN (exit 3), as for health', async () => {
    for (const args of [['autoscale', 'status', 'nope'], ['autoscale', 'status', '--checkin-timeout', '0'], ['autoscale', 'status', '--checkin-timeout', 'soon']]) {
      const result = await kasmctl(args)
      expect(result.exitCode, args.join(' ')).to.equal(3)
    }

    await sandbox.fault({kind: 'autoscale-unlicensed'})
    try {
      const result = await kasmctl(['autoscale', 'status'])
      expect(result.exitCode).to.equal(3)
      expect(result.stderr).to.include('Auto Scaling is not licensed')
    } finally {
      await sandbox.clearFaults()
    }
  })
})

// The headline failure on every release the sandbox imitates.
for (const kasmVersion of KASM_VERSIONS) {
  describe(`kasmctl autoscale status on the ${kasmVersion} sandbox`, () => {
    it('flags the server the default upstream auth address leaves in starting; a reachable address lets it join', async () => {
      const sandbox = await useSandbox({kasmVersion})
      await sandbox.reset()
      await sql(sandbox, `UPDATE autoscale_configs SET enabled = true, minimum_pool_standby_sessions = 3 WHERE autoscale_config_name = 'rdp-autoscale'`)
      await sandbox.tick()
      await sql(sandbox, `UPDATE servers SET created = created - interval '20 minutes' WHERE autoscale_config_id IS NOT NULL`)
      const stuck = await json(['autoscale', 'status', 'rdp-autoscale'], sandbox.env)
      expect(stuck.exitCode).to.equal(2)
      expect((stuck.report.configs as Array<{stuck: Row[]}>)[0].stuck).to.have.length(1)

      const webapp = sandbox.state.webapps[0]
      const set = await kasmctl(['zone', 'set', 'default', '--upstream-auth-address', `127.0.0.1:${webapp.port}`], {env: sandbox.env})
      expect(set.exitCode, set.stderr).to.equal(0)
      await sandbox.tick()
      const joined = await json(['autoscale', 'status', 'rdp-autoscale'], sandbox.env)
      expect(joined.exitCode, JSON.stringify(joined.report)).to.equal(0)
      const pool = (joined.report.configs as Array<{server_pool: {available_sessions: number; servers: Row[]}}>)[0].server_pool
      expect(pool.servers.filter((s) => s.autoscaled).map((s) => s.operational_status)).to.deep.equal(['running'])
      await sandbox.reset()
    })
  })
}
