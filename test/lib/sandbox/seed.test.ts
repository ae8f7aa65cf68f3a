import {expect} from 'chai'
import {readFile, stat} from 'node:fs/promises'
import {join} from 'node:path'

import {PERMISSIONS} from '../../../src/lib/kasm/permissions.js'
import type {SandboxState} from '../../../src/lib/sandbox/contract.js'
import {decryptSetting, verifyApiSecret} from '../../../src/lib/sandbox/kasm-crypto.js'
import {AGENTS, ALEMBIC_VERSION, LOG_ROWS, METRIC_DAYS, SESSION_COUNT} from '../../../src/lib/sandbox/seed.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

describe('sandbox seed (real PostgreSQL)', () => {
  let sandbox: TestSandbox

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  async function query<T = Record<string, unknown>>(sql: string, params: unknown[] = []): Promise<T[]> {
    const db = await sandbox.db()
    try {
      return (await db.query(sql, params)).rows as T[]
    } finally {
      await db.end()
    }
  }

  it('has the three zones with the settings zone lint looks at', async () => {
    const zones = await query<{zone_name: string; load_strategy: string; search_alternate_zones: boolean; upstream_auth_address: string}>(
      'SELECT zone_name, load_strategy, search_alternate_zones, upstream_auth_address FROM zones ORDER BY zone_name',
    )
    expect(zones.map((z) => z.zone_name)).to.deep.equal(['default', 'east', 'enclave'])
    expect(zones.find((z) => z.zone_name === 'default')).to.include({load_strategy: 'least_load', search_alternate_zones: true})
    expect(zones.find((z) => z.zone_name === 'east')).to.include({load_strategy: 'most_kasms', upstream_auth_address: '$request_host$'})
    expect(zones.find((z) => z.zone_name === 'enclave')).to.include({search_alternate_zones: true})
    const [autoscale] = await query(`SELECT z.zone_name, a.enabled FROM autoscale_configs a JOIN zones z USING (zone_id) WHERE autoscale_config_name = 'east-autoscale'`)
    expect(autoscale).to.deep.equal({enabled: true, zone_name: 'east'})
  })

  it('places both web app managers in default and spreads six agents over the zones', async () => {
    const managers = await query('SELECT m.manager_hostname, z.zone_name FROM managers m JOIN zones z USING (zone_id) ORDER BY 1')
    expect(managers).to.deep.equal([
      {manager_hostname: 'webapp-1', zone_name: 'default'},
      {manager_hostname: 'webapp-2', zone_name: 'default'},
    ])
    const agents = await query<{hostname: string; zone_name: string; cores: number; memory_bytes: string; manager_id: string | null}>(
      `SELECT s.hostname, z.zone_name, s.cores, s.memory_bytes, s.manager_id, s.operational_status
         FROM servers s JOIN zones z USING (zone_id) WHERE s.server_type = 'host' ORDER BY s.hostname`,
    )
    expect(agents.map((a) => `${a.hostname}:${a.zone_name}`)).to.deep.equal([
      'agent-1:default', 'agent-2:default', 'agent-3:default', 'agent-4:east', 'agent-5:east', 'agent-6:enclave',
    ])
    for (const agent of agents) {
      expect(agent.cores).to.be.within(4, 16)
      expect(Number(agent.memory_bytes)).to.be.within(8 * 1024 ** 3, 32 * 1024 ** 3)
      expect(agent.manager_id).to.match(/^[\da-f-]{36}$/)
    }

    const desktops = await query("SELECT hostname, connection_type FROM servers WHERE server_type = 'Desktop' ORDER BY 1")
    expect(desktops).to.deep.equal([
      {connection_type: 'RDP', hostname: 'rdp-1'},
      {connection_type: 'RDP', hostname: 'rdp-2'},
    ])
    const proxies = await query("SELECT server_address FROM connection_proxies WHERE connection_proxy_type = 'GUAC' ORDER BY 1")
    expect(proxies.map((p) => p.server_address)).to.deep.equal(['guac-1', 'guac-2'])
  })

  it('runs ~20 sessions on agents 1-5, none beyond an agent\'s capacity, expiring in the future', async () => {
    const sessions = await query<{hostname: string; expires_in_minutes: number}>(
      `SELECT s.hostname, (extract(epoch FROM k.expiration_date - (now() AT TIME ZONE 'utc')) / 60)::float AS expires_in_minutes
         FROM kasms k JOIN servers s USING (server_id)`,
    )
    expect(sessions).to.have.length(SESSION_COUNT)
    expect(new Set(sessions.map((s) => s.hostname))).to.not.include('agent-6')
    for (const session of sessions) expect(session.expires_in_minutes).to.be.within(15, 181)
    const overCommitted = await query(
      `SELECT s.hostname FROM servers s JOIN kasms k USING (server_id) GROUP BY s.server_id, s.hostname, s.cores, s.cores_override
        HAVING sum(k.cores) > greatest(s.cores, s.cores_override)`,
    )
    expect(overCommitted).to.deep.equal([])
  })

  it('stores the logging settings encrypted with the installation id, as Kasm does', async () => {
    const [{installation_id: installationId}] = await query<{installation_id: string}>('SELECT installation_id FROM installation')
    const settings = await query<{name: string; value: string; value_type: string; title: string}>(
      "SELECT name, value, value_type, title FROM settings WHERE category = 'logging'",
    )
    const byName = Object.fromEntries(settings.map((s) => [s.name, s]))
    expect(byName.log_retention.value).to.match(/^enc:v1:/)
    expect(decryptSetting(byName.log_retention.value, installationId)).to.equal('7')
    expect(decryptSetting(byName.debug_retention.value, installationId)).to.equal('4')
    expect(byName.log_retention).to.include({title: 'Log Retention', value_type: 'int'})
    expect(byName.debug_retention).to.include({title: 'Debug Log Retention', value_type: 'int'})
    expect(byName.hec_token.value_type).to.equal('password')
    expect(Object.keys(byName)).to.have.members(['log_retention', 'debug_retention', 'log_protocol', 'minimize_local_logging', 'log_host', 'log_port', 'hec_token'])
    const [{version_num: version}] = await query<{version_num: string}>('SELECT version_num FROM alembic_version')
    expect(version).to.equal(ALEMBIC_VERSION)
  })

  it('has admin, read-only, ZONES_VIEW-only and no-agents API keys whose secret files match the stored hashes', async () => {
    const keys = await query<{api_key: string; read_only: boolean; salt: string; api_key_secret_hash: string; permissions: number[]}>(
      `SELECT a.api_key, a.read_only, a.salt, a.api_key_secret_hash, array_agg(g.permission_id ORDER BY g.permission_id) AS permissions
         FROM api_configs a JOIN group_permissions g USING (api_id) GROUP BY a.api_id`,
    )
    for (const name of ['admin', 'readonly', 'limited', 'noagents'] as const) {
      const {key, secretFile} = sandbox.state.apiKeys[name]
      const row = keys.find((k) => k.api_key === key)!
      expect(key).to.have.length(12)
      const secret = (await readFile(secretFile, 'utf8')).trim()
      expect(verifyApiSecret(secret, row.salt, row.api_key_secret_hash), name).to.equal(true)
      expect((await stat(secretFile)).mode & 0o777).to.equal(0o600)
    }

    const row = (name: keyof typeof sandbox.state.apiKeys) => keys.find((k) => k.api_key === sandbox.state.apiKeys[name].key)!
    expect(row('admin').permissions).to.deep.equal(Object.keys(PERMISSIONS).map(Number))
    expect(row('readonly').read_only).to.equal(true)
    expect(row('readonly').permissions).to.include.members([1900, 2300, 800, 1300, 1700, 1800, 2100])
    expect(row('readonly').permissions.every((id) => PERMISSIONS[id].endsWith('_VIEW'))).to.equal(true)
    expect(row('limited').permissions).to.deep.equal([1900])
    // SERVERS_VIEW and what health reads, but not AGENTS_VIEW: Kasm's get_servers hides every agent from it.
    expect(row('noagents').permissions).to.deep.equal([800, 900, 1800, 1900, 2100, 2300])
  })

  it("fills Kasm 1.19's system_metrics with a sample per agent every 30 minutes over the last 30 days", async () => {
    const [counts] = await query<{total: string; agents: string; days: number}>(
      `SELECT count(*) AS total, count(DISTINCT server_id) AS agents,
              extract(epoch FROM max(created) - min(created)) / 86400 AS days FROM system_metrics`,
    )
    expect(Number(counts.agents)).to.equal(AGENTS.length)
    expect(Number(counts.total)).to.equal(AGENTS.length * METRIC_DAYS * 48)
    expect(Math.round(Number(counts.days))).to.equal(METRIC_DAYS)
  })

  it('spreads the log rows evenly over the last ten days with every level', async () => {
    const [counts] = await query<{total: string; older_than_7d: string; levels: string[]; hosts: string}>(
      `SELECT count(*) AS total,
              count(*) FILTER (WHERE ingest_date < (now() AT TIME ZONE 'utc') - interval '7 days') AS older_than_7d,
              array_agg(DISTINCT levelname ORDER BY levelname) AS levels,
              count(DISTINCT host) AS hosts
         FROM logs`,
    )
    expect(Number(counts.total)).to.equal(LOG_ROWS)
    expect(Number(counts.older_than_7d)).to.be.within(LOG_ROWS * 0.29, LOG_ROWS * 0.31)
    expect(counts.levels).to.deep.equal(['DEBUG', 'ERROR', 'INFO', 'WARNING'])
    expect(Number(counts.hosts)).to.equal(8)
    const [sample] = await query<{data: Record<string, unknown>}>("SELECT data FROM logs WHERE levelname = 'ERROR' LIMIT 1")
    expect(sample.data).to.include.keys('message', 'application', 'funcName', 'process')
  })

  it('keeps the state file, secrets and TLS keys private', async () => {
    expect((await stat(join(sandbox.dir, 'state.json'))).mode & 0o777).to.equal(0o600)
    expect((await stat(sandbox.dir)).mode & 0o777).to.equal(0o700)
    expect((await stat(sandbox.state.tls.keyFile)).mode & 0o777).to.equal(0o600)
    // The PostgreSQL pid changes whenever a test restarts the database (sandbox fault db-stop/db-start).
    const withoutPid = (state: SandboxState) => ({...state, postgres: {...state.postgres, pid: undefined}})
    const state = JSON.parse(await readFile(join(sandbox.dir, 'state.json'), 'utf8'))
    expect(withoutPid(state)).to.deep.equal(withoutPid(JSON.parse(JSON.stringify(sandbox.state))))
  })
})
