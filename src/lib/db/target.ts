// Which database to talk to, from a context or a web app host's config: no driver here, so that
// code that only names or hands a target to libpq tools (backups) does not load pg.
import {readContextFile, resolveSecret} from '../config/secrets.js'
import type {ContextConfig, HostEntry} from '../config/types.js'
import {ConfigError, listValues, NotFoundError} from '../errors.js'
import {databaseUrlProblem, type SslMode} from './url.js'

/** Everything needed to open a connection, and to name it in messages (never the password). */
export interface DatabaseTarget {
  host: string
  port: number
  database: string
  user: string
  sslmode: SslMode
  /** Where the settings came from: `context "prod"` or `host webapp-1 (/opt/kasm/current/conf/app/api.app.config.yaml)`. */
  source: string
  password?: string
  caPem?: string
}

/** The context's `database` settings, password resolved. */
export async function targetFromContext(context: ContextConfig): Promise<DatabaseTarget> {
  const database = context.database
  if (!database?.url) {
    throw new ConfigError(`context "${context.name}" has no database settings`, {
      hint: `add them with \`kasmctl context add ${context.name} --db-url postgres://kasmapp@HOST:5432/kasm?sslmode=require --db-password-file PATH\`, or use --from-host HOST to read them from a web app's api.app.config.yaml`,
    })
  }

  const target = parseDatabaseUrl(database.url, `context "${context.name}"`)
  const password = (await resolveSecret(database.password, `database password of context "${context.name}"`)) ?? target.password
  return {...target, caPem: await readContextFile(database?.caFile, 'the database CA file'), password}
}

/**
 * The `database:` block of a web app's api.app.config.yaml (kasm-hosts.md §2): name, username,
 * password, host, port, ssl. Kasm's database uses a self-signed certificate, so `ssl: true` means
 * encrypted without verification unless the context names a CA file for it.
 */
export async function targetFromHost(context: ContextConfig, host: HostEntry): Promise<DatabaseTarget> {
  const path = `${(host.kasmRoot ?? '/opt/kasm').replace(/\/+$/, '')}/current/conf/app/api.app.config.yaml`
  const source = `host ${host.name} (${path})`
  const [{readHostFile}, {parse}] = await Promise.all([import('../remote/index.js'), import('yaml')])
  const text = await readHostFile(host, path)
  if (text === undefined) {
    throw new NotFoundError(`${path} does not exist on host ${host.name}`, {hint: `is ${host.name} a Kasm web app host? Check its kasmRoot in the context`})
  }

  let block: Record<string, unknown> | undefined
  try {
    block = (parse(text) as {database?: Record<string, unknown>} | null)?.database
  } catch (error) {
    throw new ConfigError(`${source} is not valid YAML: ${(error as Error).message}`)
  }

  if (!block || typeof block !== 'object') throw new ConfigError(`${source} has no database: block`)
  const field = (name: string): string | undefined => (block[name] === undefined || block[name] === null ? undefined : String(block[name]))
  const caPem = await readContextFile(context.database?.caFile, 'the database CA file')
  const ssl = field('ssl')
  return {
    caPem,
    database: field('name') ?? 'kasm',
    host: field('host') ?? 'localhost',
    password: field('password'),
    port: Number(field('port') ?? 5432),
    source,
    sslmode: ssl === undefined || /^(true|yes|1)$/i.test(ssl) ? (caPem ? 'verify-ca' : 'require') : 'disable',
    user: field('username') ?? 'kasmapp',
  }
}

/** Parses postgres://user[:password]@host[:port]/database?sslmode=... (host may also come from ?host=). */
export function parseDatabaseUrl(url: string, source: string): DatabaseTarget {
  const problem = databaseUrlProblem(url)
  if (problem) throw new ConfigError(`the database URL of ${source} ${problem}`)
  const parsed = new URL(url)
  const sslmode = (parsed.searchParams.get('sslmode') ?? 'prefer') as SslMode

  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''))
  return {
    database: database || 'kasm',
    host: parsed.searchParams.get('host') ?? (decodeURIComponent(parsed.hostname.replace(/^\[|\]$/g, '')) || 'localhost'),
    password: parsed.password ? decodeURIComponent(parsed.password) : undefined,
    port: Number(parsed.port || 5432),
    source,
    sslmode,
    user: decodeURIComponent(parsed.username) || 'kasmapp',
  }
}

/** An SQL identifier (role, column) quoted for PostgreSQL. */
export function quoteIdent(name: string): string {
  return `"${name.replaceAll('"', '""')}"`
}

/** A string quoted as an SQL literal (for statements sent without parameters, e.g. through psql). */
export function quoteLiteral(value: string): string {
  return `'${value.replaceAll("'", "''")}'`
}

/** `kasmapp@db.example.com:5432/kasm`, for messages. */
export function describeTarget(target: Pick<DatabaseTarget, 'database' | 'host' | 'port' | 'user'>): string {
  return `${target.user}@${target.host}:${target.port}/${target.database}`
}

/** Finds a host of the context by name. */
export function findHost(context: ContextConfig, name: string): HostEntry {
  const host = context.hosts?.find((h) => h.name === name)
  if (!host) {
    const known = (context.hosts ?? []).map((h) => h.name)
    throw new NotFoundError(`context "${context.name}" has no host named "${name}"`, {
      hint: known.length > 0 ? `known hosts: ${listValues(known)}` : 'add hosts to the context with `kasmctl context add`',
    })
  }

  return host
}
