import type {ChildProcessWithoutNullStreams} from 'node:child_process'
import {createInterface} from 'node:readline'

import type {ContextConfig} from '../config/types.js'
import {describeTarget, parseDatabaseUrl, quoteLiteral, type DatabaseTarget, targetFromContext} from '../db/target.js'
import {OperationError, UnavailableError} from '../errors.js'
import {findExecutable, runChild, startChild} from '../process/children.js'

/** Where pg_dump / pg_restore / psql run: this machine's client tools, or inside Kasm's `kasm_db` container. */
export type Via = 'docker' | 'local'
export const KASM_DB_CONTAINER = 'kasm_db'

/** A database and the way to run PostgreSQL client tools against it. Never holds a password in argv. */
export interface PgEndpoint {
  via: Via
  database: string
  user: string
  /** Local: the resolved connection (password included, for the child's environment only). */
  target?: DatabaseTarget
  caFile?: string
  /** `kasmapp@db:5432/kasm` or `kasmapp@docker:kasm_db/kasm`, for messages. */
  description: string
}

/** The tables whose row counts go into the manifest (those that exist are counted). */
export const KEY_TABLES = ['installation', 'zones', 'managers', 'servers', 'kasms', 'users', 'images', 'settings', 'accounting', 'logs'] as const

/** Default `via`: docker when a `kasm_db` container runs here (`docker ps` answers and lists it), else local. */
export async function detectVia(): Promise<Via> {
  if (!findExecutable('docker')) return 'local'
  const {exit, stdout} = await runChild('docker', 'docker', ['ps', '--filter', `name=^${KASM_DB_CONTAINER}$`, '--format', '{{.Names}}'], {timeoutMs: 5000})
  return exit.code === 0 && stdout.split('\n').includes(KASM_DB_CONTAINER) ? 'docker' : 'local'
}

export async function resolveEndpoint(context: ContextConfig, via: Via): Promise<PgEndpoint> {
  if (via === 'local') {
    const target = await targetFromContext(context)
    return {caFile: context.database?.caFile, database: target.database, description: describeTarget(target), target, user: target.user, via}
  }

  // Inside kasm_db, psql and pg_dump reach the server over its local socket (trusted): no password needed.
  const named = context.database?.url ? parseDatabaseUrl(context.database.url, `context "${context.name}"`) : undefined
  const database = named?.database ?? 'kasm'
  const user = named?.user ?? 'kasmapp'
  return {database, description: `${user}@docker:${KASM_DB_CONTAINER}/${database}`, user, via}
}

export interface ToolInvocation {
  file: string
  args: string[]
  env: NodeJS.ProcessEnv
}

/**
 * The command that runs a PostgreSQL client tool against the endpoint. Locally the connection goes
 * through the child's environment (PGHOST, PGPASSWORD, ...), never argv; via docker it is
 * `docker exec -i kasm_db <tool> -U <user> ...`. `database: null` for tools that need none (--version,
 * pg_restore --list).
 */
export function toolInvocation(endpoint: PgEndpoint, tool: 'pg_dump' | 'pg_restore' | 'psql', args: string[], database: string | null = endpoint.database): ToolInvocation {
  const dbArgs = database === null ? [] : ['-d', database]
  if (endpoint.via === 'docker') {
    const userArgs = database === null ? [] : ['-U', endpoint.user]
    return {args: ['exec', '-i', KASM_DB_CONTAINER, tool, ...userArgs, ...args, ...dbArgs], env: process.env, file: 'docker'}
  }

  return {args: [...args, ...dbArgs], env: pgEnv(endpoint), file: tool}
}

/** libpq environment for a local client tool: the password lives only in the child's environment. */
export function pgEnv(endpoint: PgEndpoint): NodeJS.ProcessEnv {
  const target = endpoint.target
  if (!target) return process.env
  return {
    ...process.env,
    PGAPPNAME: 'kasmctl',
    PGHOST: target.host,
    PGPORT: String(target.port),
    PGSSLMODE: target.sslmode,
    PGUSER: target.user,
    ...(target.password === undefined ? {} : {PGPASSWORD: target.password}),
    ...(endpoint.caFile ? {PGSSLROOTCERT: endpoint.caFile} : {}),
  }
}

/** `pg_dump --version` (or pg_restore's) → "15.4". Throws UnavailableError when the tool cannot run. */
export async function toolVersion(endpoint: PgEndpoint, tool: 'pg_dump' | 'pg_restore'): Promise<string> {
  const call = toolInvocation(endpoint, tool, ['--version'], null)
  const {exit, stderr, stdout} = await runChild(tool, call.file, call.args, {env: call.env, timeoutMs: 30_000})
  const version = /\(PostgreSQL\)\s+(\d+(?:\.\d+)?)/.exec(stdout)?.[1]
  if (exit.code !== 0 || !version) {
    const why = exit.error ? ((exit.error as NodeJS.ErrnoException).code ?? exit.error.message) : stderr.trim() || (exit.signal ? `killed by ${exit.signal}` : `exit ${exit.code}`)
    throw new UnavailableError(`cannot run \`${[call.file, ...call.args].join(' ')}\`: ${why}`, {
      hint:
        endpoint.via === 'docker'
          ? `is the ${KASM_DB_CONTAINER} container running? (\`docker ps\`), or use --via local`
          : 'install the PostgreSQL client tools matching the server (apt-get install postgresql-client), or use --via docker on the database host',
    })
  }

  return version
}

/**
 * pg_dump refuses servers of a newer major version ("server version mismatch"): catch it before
 * dumping, naming both versions.
 */
export function checkPgDumpVersion(pgDumpVersion: string, serverVersion: string, serverVersionNum: number, via: Via): void {
  const dumpMajor = Number(pgDumpVersion.split('.')[0])
  const serverMajor = Math.floor(serverVersionNum / 10_000)
  if (dumpMajor < serverMajor) {
    throw new OperationError(`pg_dump ${pgDumpVersion} is older than the server (PostgreSQL ${serverVersion}) and cannot dump it`, {
      code: 'PG_DUMP_TOO_OLD',
      details: {pgDumpVersion, serverVersion},
      hint:
        via === 'docker'
          ? `the ${KASM_DB_CONTAINER} image's pg_dump should match its server: check which container answers as ${KASM_DB_CONTAINER}`
          : `install the PostgreSQL ${serverMajor} client tools (apt-get install postgresql-client-${serverMajor}), or run the backup with --via docker on the database host`,
    })
  }
}

/** What the manifest records about the database, read inside the dump's snapshot. */
export interface DatabaseFacts {
  serverVersion: string
  serverVersionNum: number
  alembicRevision?: string
  installationId?: string
}

/**
 * An open REPEATABLE READ transaction whose snapshot pg_dump imports (`--snapshot`): the row counts
 * in the manifest are those of the dump itself, even while Kasm keeps writing logs. They are counted
 * while pg_dump runs (a scan of the logs table is not free). Close it after pg_dump has finished.
 */
export interface SnapshotSession {
  snapshot: string
  facts: DatabaseFacts
  /** Rows of each of these tables that exist, counted in the snapshot. */
  countRows(tables: readonly string[]): Promise<Record<string, number>>
  close(): Promise<void>
}

/** The snapshot (exported) and the database's versions, as one JSON object. */
const FACTS_SQL = `SELECT json_build_object(
  'snapshot', pg_export_snapshot(),
  'serverVersion', current_setting('server_version'),
  'serverVersionNum', current_setting('server_version_num')::int,
  'alembicRevision', ${scalarSql('alembic_version', 'version_num')},
  'installationId', ${scalarSql('installation', 'installation_id')}
)::text AS json`

/** The first value of a column of a table that may not exist (query_to_xml defers the query, so a missing table is no error). */
function scalarSql(table: string, column: string): string {
  return `(SELECT (xpath('/row/v/text()', query_to_xml('SELECT ${column}::text AS v FROM ${table} LIMIT 1', false, true, '')))[1]::text WHERE to_regclass('public.${table}') IS NOT NULL)`
}

/** Exact row counts of those of `tables` that exist in schema public, as one JSON object. */
export function rowCountsSql(tables: readonly string[]): string {
  const list = tables.map((t) => quoteLiteral(t)).join(', ')
  return `SELECT coalesce(json_object_agg(c.relname, (xpath('/row/n/text()', query_to_xml(format('SELECT count(*) AS n FROM %I.%I', n.nspname, c.relname), false, true, '')))[1]::text::bigint ORDER BY c.relname), '{}')::text AS json
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p') AND c.relname IN (${list})`
}

interface FactsRow extends DatabaseFacts {
  snapshot: string
}

function toFacts(row: FactsRow): DatabaseFacts {
  const facts: DatabaseFacts = {serverVersion: row.serverVersion.split(' ')[0], serverVersionNum: row.serverVersionNum}
  if (row.alembicRevision) facts.alembicRevision = row.alembicRevision
  if (row.installationId) facts.installationId = row.installationId
  return facts
}

/**
 * The snapshot transaction. Its row counts run beside the dump, on the CPUs pg_dump, the server
 * and the compressor already fill: one backend and no JIT, not a parallel scan (a parallel count of
 * a 4 M-row logs table measured 1.4 s of CPU over 3 processes, a plain one 0.65 s).
 */
const BEGIN_SNAPSHOT = [
  'BEGIN ISOLATION LEVEL REPEATABLE READ, READ ONLY',
  'SET LOCAL max_parallel_workers_per_gather = 0',
  'SET LOCAL jit = off',
]

/**
 * Opens the snapshot transaction in an interactive psql: the client tools' own libpq, as pg_dump
 * connects (locally, or inside kasm_db through docker exec), and no Node driver to load on the way
 * to the dump. One statement per line in, one JSON line out per answer.
 */
export async function openSnapshotSession(endpoint: PgEndpoint): Promise<SnapshotSession> {
  try {
    return await openPsqlSession(endpoint)
  } catch (error) {
    throw endpoint.target ? await diagnoseConnection(endpoint.target, error as Error) : error
  }
}

/**
 * Why psql could not open the session, in the words of every other database command (exit 69 or
 * 77, naming the server and the likely cause): the same target, tried with the pg driver.
 */
async function diagnoseConnection(target: DatabaseTarget, psqlError: Error): Promise<Error> {
  const {connectTarget} = await import('../db/connect.js')
  try {
    await (await connectTarget(target, {applicationName: 'kasmctl backup'})).end()
  } catch (error) {
    return error as Error
  }

  return psqlError
}

async function openPsqlSession(endpoint: PgEndpoint): Promise<SnapshotSession> {
  const call = toolInvocation(endpoint, 'psql', ['-X', '-q', '-A', '-t', '-v', 'ON_ERROR_STOP=1'])
  const psql = startChild('psql', call.file, call.args, {env: call.env, stdio: ['pipe', 'pipe', 'pipe']})
  const child = psql.process as ChildProcessWithoutNullStreams
  const stderr = async (): Promise<string> => {
    const exit = await psql.exited
    return exit.error ? `cannot run ${call.file}: ${(exit.error as NodeJS.ErrnoException).code ?? exit.error.message}` : psql.stderrTail()
  }

  child.stdin.on('error', () => undefined) // psql may exit before reading: reported below
  const lines = createInterface({input: child.stdout})[Symbol.asyncIterator]()
  const ask = async (sql: string): Promise<string> => {
    child.stdin.write(`${sql.replaceAll('\n', ' ')};\n`)
    const answer = await lines.next()
    if (answer.done) {
      const why = await stderr()
      const how = endpoint.via === 'docker' ? `docker exec -i ${KASM_DB_CONTAINER} psql` : 'psql'
      throw new UnavailableError(`cannot query ${endpoint.description} through \`${how}\`: ${why || 'no answer'}`, {
        hint: endpoint.via === 'docker' ? `check that the ${KASM_DB_CONTAINER} container runs (\`docker ps\`), or use --via local` : 'check the database settings of the context (`kasmctl context show`)',
      })
    }

    return answer.value
  }

  child.stdin.write(BEGIN_SNAPSHOT.map((statement) => `${statement};\n`).join(''))
  const row = JSON.parse(await ask(FACTS_SQL)) as FactsRow
  return {
    async close() {
      child.stdin.end('COMMIT;\n')
      await psql.exited
    },
    countRows: async (tables) => JSON.parse(await ask(rowCountsSql(tables))) as Record<string, number>,
    facts: toFacts(row),
    snapshot: row.snapshot,
  }
}
