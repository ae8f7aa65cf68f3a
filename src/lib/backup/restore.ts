import {basename} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {resolveSecret} from '../config/secrets.js'
import type {ContextConfig, HostEntry, SecretRef} from '../config/types.js'
import {connectTarget} from '../db/connect.js'
import {quoteIdent, quoteLiteral} from '../db/target.js'
import {AuthError, OperationError} from '../errors.js'
import {failureOf, runChild} from '../process/children.js'
import type {KasmClient} from '../kasm/client.js'
import {describeHost, runOnHostChecked, shellQuote} from '../remote/index.js'
import {feedArchive} from './archive.js'
import {readManifest} from './manifest.js'
import {parseBackupName} from './naming.js'
import {type PgEndpoint, resolveEndpoint, toolInvocation, type Via} from './pg-tools.js'
import {verifyBackup} from './verify.js'

export interface RestorePlan {
  file: string
  path: string
  database: string
  target: string
  via: Via
  /** Web app hosts whose bin/stop and bin/start bracket the restore (as Kasm's db_restore requires). */
  webapps: string[]
  /** Web app hosts that also run the database (single-server installs): their bin/stop stops kasm_db too. */
  databaseHosts: string[]
  /** The role that drops and creates databases (--admin-user, like db_restore -g; default: the context's user). */
  adminUser: string
  /** The backup is restored into this new database first; the live one is untouched until the swap. */
  stagingDatabase: string
  /** The live database is renamed to this at the swap (dropped at the end unless --keep-previous). */
  previousDatabase: string
  steps: string[]
}

export interface RestoreResult extends RestorePlan {
  previousKept: boolean
  health: Array<{host: string; ok: boolean; message: string}>
}

const root = (host: HostEntry): string => (host.kasmRoot ?? '/opt/kasm').replace(/\/+$/, '')
const webappHosts = (context: ContextConfig): HostEntry[] => (context.hosts ?? []).filter((h) => h.roles.includes('webapp'))
/** A web app host that is also the database host: an all-in-one install, whose bin/stop stops kasm_db (kasm-verified.md §1). */
const runsDatabase = (host: HostEntry): boolean => host.roles.includes('db')

/** What Kasm's db_restore runs after bin/stop: the db service alone, from the install's compose project. */
function startDatabaseAlone(host: HostEntry): {argv: string[]; text: string} {
  const dir = `${root(host)}/current/docker`
  // bin/start and bin/stop export KASM_UID/KASM_GID for compose (kasm-hosts.md §1, #71); so does this.
  const script = 'cd "$1" && export KASM_UID="$(id -u kasm 2>/dev/null)" KASM_GID="$(id -g kasm 2>/dev/null)" && exec docker compose up -d db'
  return {argv: ['sh', '-c', script, 'sh', dir], text: `cd ${shellQuote(dir)} && docker compose up -d db`}
}

export interface RestoreRole {
  /** --admin-user: the role that drops and creates the database (Kasm's db_restore -g; its default is postgres). */
  user?: string
  /** Its password, from the usual secret sources (environment variable or file; never a flag value). */
  password?: SecretRef
}

/**
 * The restore's plan, after its first step: the backup is checked (checksum, pg_restore --list) here,
 * so that a dry run of a missing, damaged or foreign file fails as the real run would, and the real
 * run asks for confirmation only for a backup that can be restored.
 */
export async function planRestore(context: ContextConfig, path: string, via: Via, keepPrevious: boolean, role: RestoreRole = {}): Promise<RestorePlan> {
  const verified = await verifyBackup(path)
  if (!verified.ok) {
    const failed = verified.checks.find((c) => !c.ok)!
    throw new OperationError(`${basename(path)} failed verification (${failed.name}: ${failed.message}); nothing was changed`, {code: 'VERIFY_FAILED'})
  }

  const endpoint = await resolveEndpoint(context, via)
  const stamp = new Date().toISOString().replaceAll(/[-:]/g, '').replace(/\.\d+Z$/, '').toLowerCase()
  const webapps = webappHosts(context)
  const staging = `${endpoint.database}_restore_${stamp}`
  const previous = `${endpoint.database}_before_restore_${stamp}`
  const adminUser = role.user ?? endpoint.user
  const steps = [
    `check ${basename(path)} (checksum, pg_restore --list)`,
    `check that role ${adminUser} may drop and create databases (SUPERUSER, or CREATEDB and owner of ${endpoint.database})`,
    ...webapps.map((h) => `stop Kasm on ${describeHost(h)}: ${root(h)}/bin/stop${runsDatabase(h) ? ' (stops its database too)' : ''}`),
    ...webapps.filter((h) => runsDatabase(h)).map((h) => `start the database alone on ${describeHost(h)}: ${startDatabaseAlone(h).text}, and wait for it`),
    `create database ${staging} as ${adminUser} and restore the backup into it (${endpoint.description})`,
    `swap: rename ${endpoint.database} → ${previous}, ${staging} → ${endpoint.database}`,
    ...webapps.map((h) => `start Kasm on ${describeHost(h)}: ${root(h)}/bin/start`),
    ...(webapps.length > 0 ? ['health check of the web apps (/api/__healthcheck)'] : []),
    keepPrevious ? `keep ${previous} (--keep-previous)` : `drop ${previous} once the web apps are healthy`,
  ]
  return {
    adminUser, database: endpoint.database, databaseHosts: webapps.filter((h) => runsDatabase(h)).map((h) => h.name), file: basename(path), path,
    previousDatabase: previous, stagingDatabase: staging, steps, target: endpoint.description, via: endpoint.via, webapps: webapps.map((h) => h.name),
  }
}

export interface RestoreOptions {
  keepPrevious: boolean
  /** Password source of plan.adminUser when it is not the context's user. */
  adminPassword?: SecretRef
  /** For the health check; undefined when the context has no API key (the check is then skipped). */
  client?: KasmClient
  onEvent: (line: string) => void
}

/**
 * Restores a backup as a swap: restore into a staging database while the live one stays intact,
 * then rename. Every failure says what state it left: before the swap the live database is
 * untouched (and Kasm is started again); after it, the previous database is kept for a rollback.
 */
export async function runRestore(context: ContextConfig, plan: RestorePlan, options: RestoreOptions): Promise<RestoreResult> {
  const {onEvent} = options

  const endpoint = await resolveEndpoint(context, plan.via)
  const adminEndpoint = await roleEndpoint(endpoint, plan.adminUser, options.adminPassword)
  await checkAdminRole(adminEndpoint, plan.database)
  const hosts = webappHosts(context)
  // Opened once the database runs again: on a single-server install bin/stop stops it.
  let admin: AdminSession | undefined
  const stopped: HostEntry[] = []
  const restartKasm = async (): Promise<string[]> => {
    const failures: string[] = []
    for (const host of stopped) {
      await runOnHostChecked(host, [`${root(host)}/bin/start`], {sudo: true, timeoutMs: 300_000}).catch((error: Error) => failures.push(error.message))
    }

    return failures
  }

  const abandon = async (what: string, error: unknown): Promise<never> => {
    await admin?.exec(`DROP DATABASE IF EXISTS ${quoteIdent(plan.stagingDatabase)}`).catch(() => undefined)
    const notStarted = await restartKasm()
    await admin?.close()
    throw new OperationError(
      `${what}: ${(error as Error).message}. Database ${plan.database} was not changed; ` +
        (notStarted.length === 0 ? `Kasm was started again on ${stopped.map((h) => h.name).join(', ') || 'no host'}` : `Kasm could NOT be started again: ${notStarted.join('; ')}`),
      {cause: error, code: 'RESTORE_FAILED', hint: notStarted.length === 0 ? 'fix the cause and run the restore again' : `start Kasm by hand: ${hosts.map((h) => `${root(h)}/bin/start`).join(', ')}`},
    )
  }

  try {
    for (const host of hosts) {
      onEvent(`stopping Kasm on ${describeHost(host)}`)
      await runOnHostChecked(host, [`${root(host)}/bin/stop`], {sudo: true, timeoutMs: 300_000})
      stopped.push(host)
    }
  } catch (error) {
    return abandon(`stopping Kasm failed`, error)
  }

  try {
    // As Kasm's db_restore: after bin/stop, `docker compose up -d db` brings the database back alone.
    for (const host of hosts.filter((h) => runsDatabase(h))) {
      onEvent(`starting the database alone on ${describeHost(host)}`)
      await runOnHostChecked(host, startDatabaseAlone(host).argv, {sudo: true, timeoutMs: 300_000})
    }

    admin = await adminSession(adminEndpoint, plan.databaseHosts.length > 0 ? DATABASE_START_MS : 0)
  } catch (error) {
    return abandon('the database could not be started alone', error)
  }

  try {
    onEvent(`restoring ${plan.file} into ${plan.stagingDatabase}`)
    // Owned by the application's role, which restores into it as Kasm's db_restore does (pg_restore -U kasmapp).
    await admin.exec(`CREATE DATABASE ${quoteIdent(plan.stagingDatabase)}${plan.adminUser === endpoint.user ? '' : ` OWNER ${quoteIdent(endpoint.user)}`}`)
    const staging: PgEndpoint = {...endpoint, database: plan.stagingDatabase, target: endpoint.target && {...endpoint.target, database: plan.stagingDatabase}}
    const manifest = await readManifest(plan.path)
    const parsed = parseBackupName(plan.file)!
    await feedArchive(
      {compression: manifest?.options.compression ?? parsed.compression, format: parsed.format, path: plan.path},
      toolInvocation(staging, 'pg_restore', ['--no-owner', '--exit-on-error']),
    )
  } catch (error) {
    return abandon('the restore failed', error)
  }

  try {
    onEvent(`swapping ${plan.stagingDatabase} in as ${plan.database}`)
    await moveAside(admin, plan.database, plan.previousDatabase, endpoint.user, onEvent)
  } catch (error) {
    return abandon('the swap failed', error)
  }

  try {
    await admin.exec(`ALTER DATABASE ${quoteIdent(plan.stagingDatabase)} RENAME TO ${quoteIdent(plan.database)}`)
  } catch (error) {
    await admin.exec(`ALTER DATABASE ${quoteIdent(plan.previousDatabase)} RENAME TO ${quoteIdent(plan.database)}`).catch(() => undefined)
    return abandon('the swap failed', error)
  }

  const notStarted = await restartKasm()
  const health = notStarted.length > 0 ? [] : await healthCheck(hosts, options.client, onEvent)
  const healthy = notStarted.length === 0 && health.every((h) => h.ok)
  if (healthy && !options.keepPrevious) await admin.exec(`DROP DATABASE ${quoteIdent(plan.previousDatabase)}`).catch(() => undefined)
  await admin.close()
  if (!healthy) {
    throw new OperationError(
      `${plan.file} was restored into ${plan.database}, but Kasm is not healthy: ${[...notStarted, ...health.filter((h) => !h.ok).map((h) => `${h.host}: ${h.message}`)].join('; ')}. ` +
        `The previous database is kept as ${plan.previousDatabase}`,
      {
        code: 'RESTORE_UNHEALTHY',
        hint: `check the web apps' logs; to roll back, stop Kasm, then: ALTER DATABASE ${quoteIdent(plan.database)} RENAME TO ${quoteIdent(plan.stagingDatabase)}; ALTER DATABASE ${quoteIdent(plan.previousDatabase)} RENAME TO ${quoteIdent(plan.database)}; and start Kasm`,
      },
    )
  }

  return {...plan, health, previousKept: options.keepPrevious}
}

/** Polls each web app's /api/__healthcheck for up to 60 s (it has just been started). */
async function healthCheck(hosts: HostEntry[], client: KasmClient | undefined, onEvent: (line: string) => void): Promise<RestoreResult['health']> {
  if (!client) return hosts.map((h) => ({host: h.name, message: 'skipped: the context has no API key', ok: true}))
  const results: RestoreResult['health'] = []
  for (const host of hosts) {
    onEvent(`health check of ${host.name}`)
    const url = host.url ?? `https://${host.address ?? host.name}`
    const deadline = Date.now() + 60_000
    let last = await client.healthcheck(url)
    while (!last.ok && Date.now() < deadline) {
      await sleep(1000)
      last = await client.healthcheck(url)
    }

    results.push({host: host.name, message: last.ok ? `healthy (${last.latencyMs} ms)` : (last.error ?? `HTTP ${last.status}`), ok: last.ok})
  }

  return results
}

/** How long a database started alone (single-server install) may take to accept connections. */
const DATABASE_START_MS = 60_000

/** The endpoint as the admin role: same server and path (local or docker), that user, its own password. */
async function roleEndpoint(endpoint: PgEndpoint, user: string, password: SecretRef | undefined): Promise<PgEndpoint> {
  if (user === endpoint.user) return endpoint
  const secret = await resolveSecret(password, `password of database role ${user}`)
  const target = endpoint.target && {...endpoint.target, password: secret, user}
  return {...endpoint, description: endpoint.description.replace(/^[^@]*/, user), target, user}
}

/**
 * Restoring drops and creates databases: the role must be SUPERUSER, or have CREATEDB and own the
 * live database (to rename it). Checked before anything is stopped.
 */
async function checkAdminRole(endpoint: PgEndpoint, database: string): Promise<void> {
  const session = await adminSession(endpoint, 0)
  let role: {user: string; super: boolean; createdb: boolean; owner: null | string}
  try {
    role = JSON.parse(
      await session.value(
        "SELECT json_build_object('user', current_user, 'super', rolsuper, 'createdb', rolcreatedb, " +
          `'owner', (SELECT pg_get_userbyid(datdba) FROM pg_database WHERE datname = ${quoteLiteral(database)}))::text FROM pg_roles WHERE rolname = current_user`,
      ),
    )
  } finally {
    await session.close()
  }

  if (role.super || (role.createdb && role.owner === role.user)) return
  const lacks = [...(role.createdb ? [] : ['CREATEDB']), ...(role.owner === role.user ? [] : [`ownership of ${database} (owner: ${role.owner ?? 'none'})`])]
  throw new AuthError(`role ${role.user} cannot drop and re-create database ${database}: it lacks ${lacks.join(' and ')} and is not SUPERUSER; nothing was stopped or changed`, {
    details: {createdb: role.createdb, owner: role.owner, role: role.user, superuser: role.super},
    hint: `restore as a role that can, as Kasm's db_restore does with its master user (-g, default postgres): --admin-user postgres, with its password in --admin-password-env NAME or --admin-password-file PATH (none needed where the server trusts it, e.g. inside kasm_db)`,
  })
}

/** Attempts at renaming the live database aside; PostgreSQL itself waits up to 5 s for other sessions on each. */
const MOVE_ASIDE_ATTEMPTS = 2

/**
 * Renames the live database aside. Kasm is stopped, yet sessions can linger or come back (pools, cron
 * jobs, a monitoring agent): each attempt first ends the application role's sessions again. When other
 * sessions still hold it after the last one, the error names them.
 */
async function moveAside(admin: AdminSession, database: string, aside: string, appUser: string, onEvent: (line: string) => void): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    await admin.exec(`SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ${quoteLiteral(database)} AND usename = ${quoteLiteral(appUser)} AND pid <> pg_backend_pid()`)
    try {
      await admin.exec(`ALTER DATABASE ${quoteIdent(database)} RENAME TO ${quoteIdent(aside)}`)
      return
    } catch (error) {
      if (!isInUse(error)) throw error
      if (attempt === MOVE_ASIDE_ATTEMPTS) {
        const holders = await admin.value(
          `SELECT string_agg(format('%s (pid %s, %s)', coalesce(usename, backend_type), pid, coalesce(nullif(application_name, ''), client_addr::text, 'local')), ', ') FROM pg_stat_activity WHERE datname = ${quoteLiteral(database)} AND pid <> pg_backend_pid()`,
        )
        throw new Error(`database ${database} is still in use after ${attempt} attempts${holders ? `, by ${holders}` : ''}`)
      }

      onEvent(`database ${database} is still in use; trying again in ${250 * attempt} ms`)
      await sleep(250 * attempt)
    }
  }
}

/** PostgreSQL's "database is being accessed by other users" (55006), from pg or from psql's stderr. */
function isInUse(error: unknown): boolean {
  return (error as {code?: string}).code === '55006' || /is being accessed by other users/.test((error as Error).message)
}

interface AdminSession {
  exec(sql: string): Promise<void>
  /** The first column of the first row, as text. */
  value(sql: string): Promise<string>
  close(): Promise<void>
}

/**
 * Statements on the maintenance database `postgres`: over pg locally, `docker exec kasm_db psql -c`
 * via docker. With `waitMs`, retries until the server accepts connections (it was just started).
 */
async function adminSession(endpoint: PgEndpoint, waitMs: number): Promise<AdminSession> {
  if (waitMs === 0) return openAdminSession(endpoint)
  const deadline = Date.now() + waitMs
  for (;;) {
    let session: AdminSession | undefined
    try {
      session = await openAdminSession(endpoint)
      await session.value('SELECT 1')
      return session
    } catch (error) {
      // Connected but not yet serving (the database is still starting): do not leak that connection.
      await session?.close()
      if (Date.now() >= deadline) throw error
      await sleep(500)
    }
  }
}

async function openAdminSession(endpoint: PgEndpoint): Promise<AdminSession> {
  if (endpoint.target) {
    const client = await connectTarget({...endpoint.target, database: 'postgres'}, {applicationName: 'kasmctl backup restore'})
    return {
      close: () => client.end().catch(() => undefined),
      exec: async (sql) => void (await client.query(sql)),
      value: async (sql) => String(Object.values((await client.query(sql)).rows[0] ?? {})[0] ?? ''),
    }
  }

  const psql = async (sql: string, extra: string[] = []): Promise<string> => {
    const call = toolInvocation(endpoint, 'psql', ['-X', '-q', ...extra, '-v', 'ON_ERROR_STOP=1', '-c', sql], 'postgres')
    const {exit, stderr, stdout} = await runChild('psql', call.file, call.args, {env: call.env})
    const failure = failureOf({name: 'psql', stderrTail: () => stderr}, exit)
    if (failure) throw new Error(stderr.trim() || failure)
    return stdout.trim()
  }

  return {
    close: async () => undefined,
    exec: async (sql) => void (await psql(sql)),
    value: (sql) => psql(sql, ['-At']),
  }
}
