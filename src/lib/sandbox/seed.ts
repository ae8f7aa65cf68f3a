import {randomBytes, randomUUID} from 'node:crypto'
import type pg from 'pg'

import {PERMISSIONS} from '../kasm/permissions.js'
import {ALEMBIC_REVISIONS, isAtLeast, KASM_RELEASES, type KasmVersion} from '../kasm/version.js'
import {compareNames} from '../text.js'
import {encryptSetting, hashApiSecret} from './kasm-crypto.js'

/**
 * The sandbox's seed: a small multi-zone deployment with Kasm's quirks (kasm-schema.md). Names are
 * fixed so tests can rely on them; ids are random, as in a real install.
 */

/**
 * alembic_version of a variant: Kasm's own for 1.16.1 and 1.19.0 (kasm-verified.md §1). 1.15's is
 * not documented, so its sandbox carries a revision no release has: kasmctl must then tell 1.15 by
 * the API's shape, as on a real 1.15 database (whose PostgreSQL 12 the sandbox does not run).
 */
function alembicRevisionOf(version: KasmVersion): string {
  return Object.keys(ALEMBIC_REVISIONS).find((revision) => ALEMBIC_REVISIONS[revision] === version) ?? 'sandbox01150'
}

/** The default variant's revision. */
export const ALEMBIC_VERSION = alembicRevisionOf('1.19')
export const ZONES = ['default', 'east', 'enclave'] as const
export const WEBAPPS = ['webapp-1', 'webapp-2'] as const
export const CONNECTION_PROXIES = ['guac-1', 'guac-2'] as const
export const API_KEY_NAMES = ['admin', 'readonly', 'limited', 'noagents'] as const
export type ApiKeyName = (typeof API_KEY_NAMES)[number]

const GiB = 1024 ** 3

/** Docker agents: where they are and what they have (some with overrides, as operators set them). */
export const AGENTS = [
  {cores: 12, hostname: 'agent-1', memory: 24 * GiB, zone: 'default'},
  {cores: 16, coresOverride: 24, hostname: 'agent-2', memory: 32 * GiB, zone: 'default'},
  {cores: 4, hostname: 'agent-3', memory: 8 * GiB, zone: 'default'},
  {cores: 8, hostname: 'agent-4', memory: 16 * GiB, memoryOverride: 24 * GiB, zone: 'east'},
  {cores: 12, hostname: 'agent-5', memory: 24 * GiB, zone: 'east'},
  {cores: 4, hostname: 'agent-6', memory: 8 * GiB, zone: 'enclave'},
] as const

export const IMAGES = [
  {cores: 2, friendly: 'Chrome', memory: 2_768_000_000, name: 'kasmweb/chrome:1.16.0'},
  {cores: 2, friendly: 'Firefox', memory: 2_000_000_000, name: 'kasmweb/firefox:1.16.0'},
  {cores: 4, friendly: 'Ubuntu Desktop', memory: 4_000_000_000, name: 'kasmweb/ubuntu-jammy-desktop:1.16.0'},
] as const

export const USERS = ['admin@kasm.local', ...Array.from({length: 12}, (_, i) => `user${i + 1}@kasm.local`)]
export const SESSION_COUNT = 20
export const LOG_ROWS = 20_000
/** The logs span this many days back from the seed time, evenly. */
export const LOG_DAYS = 10
/** Kasm 1.19's system_metrics: one sample per agent every 30 minutes over METRIC_DAYS days. */
export const METRIC_DAYS = 30
const METRIC_INTERVAL_S = 1800

/** Ids the host files and the harness need; saved to <dir>/seed.json. */
export interface SeedResult {
  /** ISO time the rows' dates are relative to (reset shifts them to the reset time). */
  seededAt: string
  installationId: string
  zones: Record<string, string>
  managers: Record<string, string>
  /** Web app server ids (api.app.config.yaml `server.server_id`), not rows of `servers`. */
  webappServerIds: Record<string, string>
  servers: Record<string, string>
  connectionProxies: Record<string, {id: string; authToken: string}>
  apiKeys: Record<ApiKeyName, {key: string; secret: string}>
}

type Row = Record<string, unknown>

/** Multi-row INSERT with parameters. */
async function insert(client: pg.Client, table: string, rows: Row[]): Promise<void> {
  const columns = Object.keys(rows[0])
  const params: unknown[] = []
  const tuples = rows.map((row) => `(${columns.map((c) => `$${params.push(row[c])}`).join(', ')})`)
  await client.query(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${tuples.join(', ')}`, params)
}

const alphanumeric = (length: number): string => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789'
  return [...randomBytes(length)].map((b) => chars[b % chars.length]).join('')
}

/** Kasm stores naive UTC timestamps: pass them as such, whatever the process's time zone. */
const naiveUtc = (date: Date): string => date.toISOString().replace('T', ' ').replace('Z', '')
const minutes = (base: Date, n: number): string => naiveUtc(new Date(base.getTime() + n * 60_000))

/** Fills an empty schema (schemaFor(version) already loaded) through `client`. */
export async function seedDatabase(client: pg.Client, version: KasmVersion = '1.19'): Promise<SeedResult> {
  const now = new Date()
  const result: SeedResult = {
    apiKeys: {} as SeedResult['apiKeys'],
    connectionProxies: {},
    installationId: randomUUID(),
    managers: {},
    seededAt: now.toISOString(),
    servers: {},
    webappServerIds: {},
    zones: {},
  }

  await client.query('INSERT INTO installation (installation_id) VALUES ($1)', [result.installationId])
  await client.query('INSERT INTO alembic_version (version_num) VALUES ($1)', [alembicRevisionOf(version)])

  for (const zone of ZONES) result.zones[zone] = randomUUID()
  // proxy_port 0 = the browser's port (the docs' default): the sandbox proxies listen on random ports.
  await insert(client, 'zones', [
    {load_strategy: 'least_load', proxy_port: 0, search_alternate_zones: true, zone_id: result.zones.default, zone_name: 'default'},
    // Left at '$request_host$' with autoscaling on: a finding for `zone lint`.
    {load_strategy: 'most_kasms', proxy_port: 0, search_alternate_zones: true, zone_id: result.zones.east, zone_name: 'east'},
    // An enclave that lets sessions spill into other zones: a finding for `zone lint`.
    {load_strategy: 'least_load', proxy_port: 0, search_alternate_zones: true, zone_id: result.zones.enclave, zone_name: 'enclave'},
  ])

  for (const name of WEBAPPS) {
    result.managers[name] = randomUUID()
    result.webappServerIds[name] = randomUUID()
  }

  await insert(
    client,
    'managers',
    WEBAPPS.map((name) => ({
      cores: 4,
      enabled: true,
      first_reported: minutes(now, -60 * 24 * 30),
      last_reported: minutes(now, 0),
      manager_hostname: name,
      manager_id: result.managers[name],
      manager_version: KASM_RELEASES[version],
      operational_status: 'running',
      zone_id: result.zones.default,
    })),
  )

  const pools = await seedAutoscale(client, result, version)

  const agentRows: Row[] = AGENTS.map((agent, index) => {
    const id = randomUUID()
    result.servers[agent.hostname] = id
    return {
      agent_installed: true,
      agent_version: KASM_RELEASES[version],
      cores: agent.cores,
      cores_override: 'coresOverride' in agent ? agent.coresOverride : 0,
      enabled: true,
      friendly_name: agent.hostname,
      hostname: agent.hostname,
      last_reported: minutes(now, 0),
      manager_id: result.managers[index % 2 === 0 ? 'webapp-1' : 'webapp-2'],
      max_simultaneous_sessions: null,
      memory_bytes: agent.memory,
      memory_override_bytes: 'memoryOverride' in agent ? agent.memoryOverride : 0,
      operational_status: 'running',
      port: 443,
      public_ip: `10.0.1.${11 + index}`,
      server_id: id,
      server_type: 'host',
      zone_id: result.zones[agent.zone],
    }
  })
  await insert(client, 'servers', agentRows)
  await insert(
    client,
    'servers',
    ['rdp-1', 'rdp-2'].map((hostname, index) => {
      const id = randomUUID()
      result.servers[hostname] = id
      return {
        connection_info: '{}',
        connection_port: 3389,
        connection_type: 'RDP',
        connection_username: '{sso_username}',
        enabled: true,
        friendly_name: `Windows RDP ${index + 1}`,
        hostname,
        max_simultaneous_sessions: 1,
        operational_status: 'running',
        port: 3389,
        server_id: id,
        server_pool_id: pools.rdp,
        server_type: 'Desktop',
        zone_id: result.zones.default,
      }
    }),
  )

  for (const name of CONNECTION_PROXIES) result.connectionProxies[name] = {authToken: alphanumeric(32), id: randomUUID()}
  await insert(
    client,
    'connection_proxies',
    CONNECTION_PROXIES.map((name) => ({
      auth_token: result.connectionProxies[name].authToken,
      connection_proxy_id: result.connectionProxies[name].id,
      connection_proxy_type: 'GUAC',
      first_reported: minutes(now, -60 * 24 * 30),
      last_reported: minutes(now, 0),
      operational_status: 'running',
      server_address: name,
      server_port: 443,
      zone_id: result.zones.default,
    })),
  )

  const imageIds = IMAGES.map(() => randomUUID())
  await insert(
    client,
    'images',
    IMAGES.map((image, i) => ({cores: image.cores, friendly_name: image.friendly, image_id: imageIds[i], memory_bytes: image.memory, name: image.name})),
  )
  const userIds = USERS.map(() => randomUUID())
  await insert(
    client,
    'users',
    USERS.map((username, i) => ({created: minutes(now, -60 * 24 * (40 - i)), first_name: username.split('@')[0], user_id: userIds[i], username})),
  )

  await insert(client, 'kasms', sessions(now, result, imageIds, userIds))
  await insert(client, 'settings', loggingSettings(result.installationId))
  await seedApiKeys(client, result)
  await seedLogs(client, now, result)
  await seedSystemMetrics(client, now, result)
  // Planner statistics, as a live Kasm database has them: row estimates in reports are real.
  await client.query('ANALYZE')
  return result
}

/**
 * Server pools and AutoScale: east-autoscale (Docker agents, enabled, no standby capacity, so the
 * simulator's autoscaler leaves it alone) in east, whose upstream auth address is left at its default;
 * rdp-autoscale (the Server Pool of rdp-1 and rdp-2, disabled until a test enables it) in default.
 */
async function seedAutoscale(client: pg.Client, seed: SeedResult, version: KasmVersion): Promise<{east: string; rdp: string}> {
  const pools = {east: randomUUID(), rdp: randomUUID()}
  const provider = randomUUID()
  await insert(client, 'server_pools', [
    {server_pool_id: pools.east, server_pool_name: 'east-pool', server_pool_type: 'Docker Agent'},
    {server_pool_id: pools.rdp, server_pool_name: 'rdp-pool', server_pool_type: 'Server Pool'},
  ])
  await insert(client, 'vm_provider_configs', [
    {max_instances: 4, vm_provider_config_id: provider, vm_provider_display_name: 'Sandbox VMs (simulated)', vm_provider_name: 'sandbox'},
  ])
  const rdpConfig = randomUUID()
  const common = {aggressive_scaling: false, downscale_backoff: 900, require_checkin: true, vm_provider_config_id: provider}
  // Max users per server is a 1.19 column: older releases have none.
  const maxUsers = (users: null | number) => (isAtLeast(version, '1.19') ? {max_simultaneous_users: users} : {})
  await insert(client, 'autoscale_configs', [
    {
      ...common,
      autoscale_config_id: randomUUID(),
      autoscale_config_name: 'east-autoscale',
      autoscale_type: 'Docker Agent',
      enabled: true,
      max_simultaneous_sessions_per_server: 1,
      ...maxUsers(null),
      minimum_pool_standby_sessions: 0,
      server_pool_id: pools.east,
      zone_id: seed.zones.east,
    },
    {
      ...common,
      autoscale_config_id: rdpConfig,
      autoscale_config_name: 'rdp-autoscale',
      autoscale_type: 'Server Pool',
      connection_port: 3389,
      connection_type: 'RDP',
      downscale_backoff: 600,
      enabled: false,
      max_simultaneous_sessions_per_server: 2,
      ...maxUsers(1),
      minimum_pool_standby_sessions: 2,
      server_pool_id: pools.rdp,
      zone_id: seed.zones.default,
    },
  ])
  await insert(client, 'schedules', [
    {active_end_time: '19:00', active_start_time: '07:00', autoscale_config_id: rdpConfig, days_of_the_week: JSON.stringify([1, 2, 3, 4, 5]), timezone: 'UTC'},
  ])
  return pools
}

/**
 * ~20 running sessions on agents 1-5, each placed on the agent with the most free cores that can
 * take it (so no agent is over its capacity), started 3-98 minutes ago, expiring 20 min to 3 h ahead.
 */
function sessions(now: Date, seed: SeedResult, imageIds: string[], userIds: string[]): Row[] {
  const pattern = [0, 1, 0, 2, 1] // Chrome, Firefox, Chrome, Ubuntu, Firefox
  const free = AGENTS.filter((a) => a.zone !== 'enclave').map((a) => ({
    cores: 'coresOverride' in a ? a.coresOverride : a.cores,
    hostname: a.hostname,
    memory: 'memoryOverride' in a ? a.memoryOverride : a.memory,
  }))
  return Array.from({length: SESSION_COUNT}, (_, i) => {
    const imageIndex = pattern[i % pattern.length]
    const image = IMAGES[imageIndex]
    const agent = free
      .filter((a) => a.cores >= image.cores && a.memory >= image.memory)
      .sort((a, b) => b.cores - a.cores || compareNames(a.hostname, b.hostname))[0]
    agent.cores -= image.cores
    agent.memory -= image.memory
    const createdAgo = 3 + i * 5
    return {
      container_id: randomBytes(32).toString('hex'),
      container_ip: `172.18.0.${10 + i}`,
      cores: image.cores,
      created_date: minutes(now, -createdAgo),
      docker_network: 'kasm_default_network',
      expiration_date: minutes(now, 20 + i * 8),
      hostname: agent.hostname,
      image_id: imageIds[imageIndex],
      kasm_id: randomUUID(),
      keepalive_date: minutes(now, -(i % 4)),
      memory_bytes: image.memory,
      operational_status: 'running',
      server_id: seed.servers[agent.hostname],
      start_date: minutes(now, 0.2 - createdAgo),
      user_id: userIds[1 + (i % 12)],
    }
  })
}

function loggingSettings(installationId: string): Row[] {
  const setting = (name: string, title: string, value: string, valueType: string, description: string): Row => ({
    category: 'logging',
    description,
    name,
    setting_id: randomUUID(),
    title,
    value: encryptSetting(value, installationId),
    value_type: valueType,
  })
  return [
    setting('log_retention', 'Log Retention', '7', 'int', 'The number of days to retain logs in the database.'),
    setting('debug_retention', 'Debug Log Retention', '4', 'int', 'The number of hours to retain debug logs in the database.'),
    setting('log_protocol', 'Log Protocol', 'internal', 'string', 'The protocol used to forward logs: internal, splunk or syslog.'),
    setting('minimize_local_logging', 'Minimize Local Logging', 'False', 'bool', 'Reduce what is stored locally when forwarding logs.'),
    setting('log_host', 'Log Host', '', 'string', 'The host logs are forwarded to.'),
    setting('log_port', 'Log Port', '', 'int', 'The port logs are forwarded to.'),
    setting('hec_token', 'HEC Token', alphanumeric(36), 'password', 'The Splunk HTTP Event Collector token.'),
  ]
}

async function seedApiKeys(client: pg.Client, seed: SeedResult): Promise<void> {
  const allIds = Object.keys(PERMISSIONS).map(Number)
  const viewIds = allIds.filter((id) => PERMISSIONS[id].endsWith('_VIEW'))
  const keys: Record<ApiKeyName, {permissions: number[]; readOnly: boolean}> = {
    admin: {permissions: allIds, readOnly: false},
    limited: {permissions: [1900], readOnly: false},
    // SERVERS_VIEW without AGENTS_VIEW: Kasm's get_servers then returns no agent and no error.
    noagents: {permissions: [800, 900, 1800, 1900, 2100, 2300], readOnly: false},
    readonly: {permissions: viewIds, readOnly: true},
  }
  for (const name of API_KEY_NAMES) {
    const apiId = randomUUID()
    const key = alphanumeric(12)
    const secret = alphanumeric(32)
    const salt = randomBytes(16).toString('hex')
    seed.apiKeys[name] = {key, secret}
    await insert(client, 'api_configs', [
      {api_id: apiId, api_key: key, api_key_secret_hash: hashApiSecret(secret, salt), name: `kasmctl-sandbox-${name}`, read_only: keys[name].readOnly, salt},
    ])
    await insert(
      client,
      'group_permissions',
      keys[name].permissions.map((permission) => ({api_id: apiId, permission_id: permission})),
    )
  }
}

/**
 * LOG_ROWS rows spread evenly over the last LOG_DAYS days (so counts per age are predictable), in
 * one generate_series INSERT: 1 in 20 ERROR, 2 WARNING, 4 DEBUG, the rest INFO.
 */
async function seedLogs(client: pg.Client, now: Date, seed: SeedResult): Promise<void> {
  const hosts = ['webapp-1', 'webapp-2', ...AGENTS.map((a) => a.hostname)]
  const agentIds = AGENTS.map((a) => seed.servers[a.hostname])
  await client.query(
    `INSERT INTO logs (ingest_date, host, levelname, kasm_user_name, server_id, data)
     SELECT $1::timestamp - g * ($2::double precision * interval '1 second'),
            h.host,
            lvl.levelname,
            CASE WHEN g % 3 = 0 THEN 'user' || (1 + g % 12) || '@kasm.local' END,
            CASE WHEN h.idx > 2 THEN ($4::uuid[])[h.idx - 2] END,
            jsonb_build_object(
              'message', lvl.message || ' (' || g || ')',
              'application', CASE WHEN h.idx > 2 THEN 'kasm_agent' ELSE 'kasm_api' END,
              'funcName', lvl.func,
              'process', CASE WHEN h.idx > 2 THEN 'agent' ELSE 'api_server' END,
              'name', 'kasm.' || lvl.func)
     FROM generate_series(1, $3::int) AS g
     CROSS JOIN LATERAL (SELECT 1 + (g / 3) % array_length($5::text[], 1) AS idx) i
     CROSS JOIN LATERAL (SELECT i.idx, ($5::text[])[i.idx] AS host) h
     CROSS JOIN LATERAL (SELECT
       CASE WHEN g % 20 = 0 THEN 'ERROR' WHEN g % 20 IN (1, 2) THEN 'WARNING' WHEN g % 20 BETWEEN 3 AND 6 THEN 'DEBUG' ELSE 'INFO' END AS levelname,
       CASE WHEN g % 20 = 0 THEN 'Error processing request: connection reset by peer'
            WHEN g % 20 IN (1, 2) THEN 'Agent heartbeat is late'
            WHEN g % 20 BETWEEN 3 AND 6 THEN 'Request timing details'
            ELSE 'Successfully processed request' END AS message,
       CASE WHEN g % 20 = 0 THEN 'process_request' WHEN g % 20 IN (1, 2) THEN 'check_heartbeat'
            WHEN g % 20 BETWEEN 3 AND 6 THEN 'log_timing' ELSE 'handle_request' END AS func) lvl`,
    [naiveUtc(now), (LOG_DAYS * 86_400) / LOG_ROWS, LOG_ROWS, agentIds, hosts],
  )
}

/** Samples of each agent, when the schema has Kasm 1.19's system_metrics table. */
async function seedSystemMetrics(client: pg.Client, now: Date, seed: SeedResult): Promise<void> {
  if (!(await hasTable(client, 'system_metrics'))) return
  await client.query(
    `INSERT INTO system_metrics (created, server_id, hostname, metrics)
     SELECT $1::timestamp - g * make_interval(secs => $2), a.id, a.hostname,
            jsonb_build_object('cpu_percent', (g * 7 + a.n * 13) % 100, 'memory_percent', (g * 3 + a.n * 17) % 100)
       FROM generate_series(0, $3::int - 1) AS g
      CROSS JOIN unnest($4::uuid[], $5::text[]) WITH ORDINALITY AS a(id, hostname, n)`,
    [naiveUtc(now), METRIC_INTERVAL_S, (METRIC_DAYS * 86_400) / METRIC_INTERVAL_S, AGENTS.map((a) => seed.servers[a.hostname]), AGENTS.map((a) => a.hostname)],
  )
}

async function hasTable(client: pg.Client, table: string): Promise<boolean> {
  return (await client.query<{found: boolean}>('SELECT to_regclass($1) IS NOT NULL AS found', [table])).rows[0].found
}

/**
 * Moves every seeded date by the time elapsed since the seed, so a reset sandbox looks freshly
 * seeded (sessions not yet expired, agents just checked in, logs spanning the last 10 days).
 */
export async function shiftSeedDates(client: pg.Client, seededAt: string): Promise<void> {
  const shift = `(now() - $1::timestamptz)`
  await client.query('BEGIN')
  await client.query(
    `UPDATE kasms SET created_date = created_date + ${shift}, start_date = start_date + ${shift},
       keepalive_date = keepalive_date + ${shift}, expiration_date = expiration_date + ${shift}`,
    [seededAt],
  )
  await client.query(`UPDATE servers SET last_reported = last_reported + ${shift} WHERE last_reported IS NOT NULL`, [seededAt])
  await client.query(`UPDATE managers SET last_reported = last_reported + ${shift}, first_reported = first_reported + ${shift}`, [seededAt])
  await client.query(`UPDATE connection_proxies SET last_reported = last_reported + ${shift}, first_reported = first_reported + ${shift}`, [seededAt])
  await client.query(`UPDATE logs SET ingest_date = ingest_date + ${shift}`, [seededAt])
  if (await hasTable(client, 'system_metrics')) await client.query(`UPDATE system_metrics SET created = created + ${shift}`, [seededAt])
  await client.query('COMMIT')
}
