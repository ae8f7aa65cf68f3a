import {expect} from 'chai'

import {evaluateAutoscaleLint} from '../../../src/lib/autoscale/lint.js'
import {autoscaleStatus, type StatusInput} from '../../../src/lib/autoscale/status.js'
import type {Kasm, RawAutoscaleConfig, Server} from '../../../src/lib/kasm/types.js'

const GiB = 1024 ** 3
const ZONE = 'a'.repeat(32)
const POOL = 'b'.repeat(32)
const CONFIG = 'c'.repeat(32)
const now = new Date('2026-12-07T02:00:00Z')
const minutesAgo = (n: number) => new Date(now.getTime() - n * 60_000).toISOString().replace('T', ' ').replace('Z', '')

const config = (extra: Partial<RawAutoscaleConfig> = {}): RawAutoscaleConfig => ({
  autoscale_config_id: CONFIG,
  autoscale_config_name: 'rdp',
  autoscale_type: 'Server Pool',
  downscale_backoff: 900,
  enabled: true,
  max_simultaneous_sessions_per_server: 2,
  max_simultaneous_users: null,
  minimum_pool_standby_sessions: 8,
  require_checkin: true,
  server_pool_id: POOL,
  standby_memory_bytes: 0,
  vm_provider_config: {max_instances: 10, vm_provider_display_name: 'VMs'},
  zone_id: ZONE,
  ...extra,
})

const session = (user: string) => ({kasm_id: `k-${user}-${Math.random()}`, user: {user_id: user}})
const desktop = (hostname: string, extra: Partial<Server> = {}): Server => ({
  created: minutesAgo(60),
  enabled: true,
  hostname,
  kasms: [],
  max_simultaneous_sessions: 2,
  max_simultaneous_users: null,
  operational_status: 'running',
  server_id: hostname.padEnd(32, '0'),
  server_pool_id: POOL,
  server_type: 'Desktop',
  zone_id: ZONE,
  ...extra,
})

function input(servers: Server[], extra: Partial<StatusInput> = {}): StatusInput {
  return {
    configs: [],
    kasms: [],
    pools: [{server_pool_id: POOL, server_pool_name: 'rdp-pool', server_pool_type: 'Server Pool'}],
    servers,
    zones: [{upstream_auth_address: '$request_host$', zone_id: ZONE, zone_name: 'default'}],
    ...extra,
  }
}

const status = (servers: Server[], cfg = config(), extra: Partial<StatusInput> = {}, timeout = 600) =>
  autoscaleStatus(input(servers, extra), [cfg], {checkinTimeoutSeconds: timeout, now})

describe('autoscale status (what Kasm\'s autoscaler sees)', () => {
  describe('server pools', () => {
    it('each running server offers the lower of its free sessions and free users; starting ones count as coming', () => {
      const servers = [
        // 3 sessions max, 1 used by u1; 2 users max: 2 sessions free, 1 user free → 1.
        desktop('a', {kasms: [session('u1')], max_simultaneous_sessions: 3, max_simultaneous_users: 2}),
        // No user limit: sessions decide → 2.
        desktop('b'),
        desktop('c', {autoscale_config_id: CONFIG, created: minutesAgo(1), operational_status: 'starting'}),
      ]
      const report = status(servers)
      const pool = report.configs[0].server_pool!
      expect(pool.servers.map((s) => [s.hostname, s.free_sessions, s.free_users, s.available])).to.deep.equal([['a', 2, 1, 1], ['b', 2, null, 2], ['c', 2, null, 0]])
      // 3 available + 2 coming = 5 of 8: 3 missing → 2 servers of 2 sessions.
      expect(pool).to.include({available_sessions: 3, pending_sessions: 2, servers_to_add: 2})
      expect(report).to.include({exitCode: 1, status: 'WARNING'})
      expect(report.configs[0].reasons[0]).to.equal(
        'the pool can take 3 new session(s) (each running server: the lower of its free sessions and free users) against a Minimum Available Sessions of 8, 2 more once its starting servers run: Kasm would add 2 server(s) of 2 session(s)',
      )
      expect(report.configs[0].reasons[1]).to.match(/^c starting for 1m: waiting for it to call set_server_status \(check-in timeout 10m\)$/)
    })

    it('never adds past the VM provider\'s max_instances (its own servers count)', () => {
      const servers = [desktop('a', {autoscale_config_id: CONFIG})]
      const report = status(servers, config({vm_provider_config: {max_instances: 1}}))
      expect(report.configs[0].server_pool!.servers_to_add).to.equal(0)
      expect(report.configs[0].reasons[0]).to.include('more server(s) needed but the VM provider is at its max_instances')
    })

    it('at or above the minimum: OK', () => {
      const report = status([desktop('a'), desktop('b')], config({minimum_pool_standby_sessions: 4}))
      expect(report).to.include({exitCode: 0, status: 'OK'})
    })

    it('a server starting past the timeout with require_checkin is CRITICAL: the default upstream address is named as the cause', () => {
      const stuck = desktop('c', {autoscale_config_id: CONFIG, created: minutesAgo(25), operational_status: 'starting'})
      const report = status([desktop('a'), desktop('b'), stuck], config({minimum_pool_standby_sessions: 4}))
      expect(report).to.include({exitCode: 2, status: 'CRITICAL'})
      expect(report.configs[0].stuck[0]).to.include({hostname: 'c', starting_seconds: 1500})
      expect(report.configs[0].stuck[0].cause).to.include('upstream_auth_address is left at its default "$request_host$"')
      const configured = status([stuck], config(), {zones: [{upstream_auth_address: 'api.internal', zone_id: ZONE, zone_name: 'default'}]})
      expect(configured.configs[0].stuck[0].cause).to.include('check that it reaches https://api.internal/api/set_server_status')
      expect(configured.configs[0].stuck[0].checkin_call).to.include('https://api.internal/api/set_server_status?token={checkin_jwt}')
      expect(status([stuck], config({require_checkin: false})).configs[0].stuck, 'no check-in needed').to.deep.equal([])
    })

    it('a config without its pool or zone is CRITICAL when enabled, only reported when disabled', () => {
      expect(status([], config({server_pool_id: null})).status).to.equal('CRITICAL')
      expect(status([], config({zone_id: 'd'.repeat(32)})).configs[0].reasons[0]).to.include('no longer exists')
      expect(status([], config({enabled: false, server_pool_id: null})).status).to.equal('OK')
    })
  })

  describe('Docker agents', () => {
    const agent = (hostname: string, cores: number, extra: Partial<Server> = {}): Server => ({
      cores,
      enabled: true,
      hostname,
      memory: 16 * GiB,
      operational_status: 'running',
      server_id: hostname.padEnd(32, '0'),
      server_type: 'host',
      zone_id: ZONE,
      ...extra,
    })
    const kasm = (serverId: string, cores: number, status = 'running'): Kasm => ({cores, kasm_id: `${serverId}-${cores}-${status}`, memory: 2 * GiB, operational_status: status, server_id: serverId})
    const docker = config({agent_cores_override: 8, autoscale_type: 'Docker Agent', standby_cores: 12, standby_memory_bytes: 8 * GiB})

    it('sums each agent\'s free resources by the per-agent rule (paused sessions hold nothing) against the standby', () => {
      const a = agent('a', 8)
      const b = agent('b', 4)
      const kasms = [kasm(a.server_id, 4), kasm(a.server_id, 2, 'paused'), kasm(b.server_id, 2)]
      const report = status([a, b], docker, {kasms})
      const part = report.configs[0].docker_agent!
      // a: 8 - 4 = 4 free; b: 4 - 2 = 2 free → 6 of the 12 wanted: 6 short → one 8-core agent.
      expect(part.free).to.deep.equal({cores: 6, gpus: 0, memory: 28 * GiB})
      expect(part.agents_to_add).to.equal(1)
      expect(report.status).to.equal('WARNING')
    })

    it('counts starting autoscaled agents as coming capacity', () => {
      const starting = agent('new', 8, {autoscale_config_id: CONFIG, created: minutesAgo(1), operational_status: 'starting'})
      const report = status([agent('a', 8), starting], docker)
      expect(report.configs[0].docker_agent).to.include({agents_to_add: 0})
      expect(report.configs[0].docker_agent!.pending.cores).to.equal(8)
    })
  })

  describe('the AutoScale lint rules', () => {
    const rules = (servers: Server[], cfg: RawAutoscaleConfig) => evaluateAutoscaleLint(status(servers, cfg), [cfg]).map((f) => `${f.severity} ${f.rule}`)

    it('max users above max sessions per server', () => {
      expect(rules([desktop('a')], config({max_simultaneous_users: 3, minimum_pool_standby_sessions: 2}))).to.deep.equal(['warning autoscale-users-above-sessions'])
    })

    it('a minimum above what the pool can reach with max_instances', () => {
      // 2 own servers × 2 + 3 instances × 2 = 10 < 12.
      expect(rules([desktop('a'), desktop('b')], config({minimum_pool_standby_sessions: 12, vm_provider_config: {max_instances: 3}}))).to.include('error autoscale-min-unreachable')
    })

    it('backoff 0 with the pool within one server of its minimum thrashes; with a backoff it does not', () => {
      expect(rules([desktop('a'), desktop('b')], config({downscale_backoff: 0, minimum_pool_standby_sessions: 5}))).to.include('warning autoscale-backoff-thrash')
      expect(rules([desktop('a'), desktop('b')], config({downscale_backoff: 600, minimum_pool_standby_sessions: 5}))).to.deep.equal([])
      expect(rules([desktop('a'), desktop('b')], config({downscale_backoff: 0, minimum_pool_standby_sessions: 0}))).to.deep.equal([])
    })

    it('an enabled config without its pool; nothing for a disabled one', () => {
      expect(rules([], config({server_pool_id: null}))).to.deep.equal(['error autoscale-orphan'])
      expect(rules([], config({enabled: false, server_pool_id: null}))).to.deep.equal([])
    })
  })
})
