/**
 * Which Kasm release kasmctl is talking to (kasm-verified.md §1). The database says it best
 * (`alembic_version.version_num`); without database access the API's shape says it: the RDP zone
 * fields a `get_zones` answer carries, and the 1.19 `*_bytes` memory names. An unknown release is
 * a warning, never a refusal: kasmctl carries on with what the server returns.
 */
import type {ContextConfig} from '../config/types.js'
import {ZONE_SETTINGS} from '../zones/settings.js'
import type {KasmClient} from './client.js'

export const KASM_VERSIONS = ['1.15', '1.16', '1.19'] as const
export type KasmVersion = (typeof KASM_VERSIONS)[number]

/** The release each version stands for (host directories, manager_version). */
export const KASM_RELEASES: Record<KasmVersion, string> = {'1.15': '1.15.0', '1.16': '1.16.1', '1.19': '1.19.0'}

/**
 * Schema revisions of the releases whose revision is documented. 1.15's is not: a database with a
 * revision not listed here is told apart by its PostgreSQL (12 in 1.15) or by the API's shape.
 */
export const ALEMBIC_REVISIONS: Readonly<Record<string, KasmVersion>> = {'8ddb88a590be': '1.16', bfc22f00ad19: '1.19'}

/** PostgreSQL major version that only Kasm 1.15 ships (1.16 ships 14). */
const POSTGRES_OF_1_15 = 12

export interface DetectedVersion {
  /** null when nothing told (no database, no readable zones or servers) or the signs fit no known release. */
  version: KasmVersion | null
  source: 'api' | 'database' | 'none'
  /** What decided it, for people: "alembic revision bfc22f00ad19", "get_zones has 1 of the 7 RDP fields". */
  evidence: string
  /** `alembic_version.version_num` when the database was read. */
  alembicRevision: null | string
  /** Set when the release is unknown or could not be told: kasmctl carries on. */
  warning: null | string
}

export interface DatabaseFacts {
  alembicRevision: null | string
  /** PostgreSQL major version (server_version_num / 10000). */
  postgresMajor: number
}

/** The release a database belongs to, or undefined when its revision is unknown and its PostgreSQL says nothing. */
export function versionFromDatabase(facts: DatabaseFacts): Pick<DetectedVersion, 'evidence' | 'version'> | undefined {
  const known = facts.alembicRevision ? ALEMBIC_REVISIONS[facts.alembicRevision] : undefined
  if (known) return {evidence: `alembic revision ${facts.alembicRevision}`, version: known}
  if (facts.postgresMajor === POSTGRES_OF_1_15) {
    return {evidence: `alembic revision ${facts.alembicRevision ?? 'none'} (not one kasmctl knows) on PostgreSQL ${POSTGRES_OF_1_15}, which only 1.15 ships`, version: '1.15'}
  }

  return undefined
}

type Raw = Record<string, unknown>

/**
 * The release the API's answers look like: the RDP zone fields of `get_zones` (1.15 none, 1.16
 * proxy_rdp_client_connections only, 1.19 all 7), else `memory_bytes` (1.19) or `memory` (older)
 * on servers. Undefined when there is nothing to look at; version null when the shape fits no release.
 */
export function versionFromApiShape(input: {zones?: readonly Raw[]; servers?: readonly Raw[]}): Pick<DetectedVersion, 'evidence' | 'version'> | undefined {
  const zone = input.zones?.[0]
  if (zone) {
    const later = ZONE_SETTINGS.filter((spec) => spec.since)
    const present = later.filter((spec) => spec.field in zone).map((spec) => spec.field)
    const evidence = `get_zones has ${present.length} of the ${later.length} RDP fields`
    const version = KASM_VERSIONS.find((candidate) => sameSet(present, later.filter((spec) => isAtLeast(candidate, spec.since!)).map((spec) => spec.field)))
    return {evidence: version ? evidence : `${evidence} (${present.join(', ')}): a shape no known release has`, version: version ?? null}
  }

  const server = input.servers?.[0]
  if (server) {
    if ('memory_bytes' in server) return {evidence: 'get_servers names memory memory_bytes', version: '1.19'}
    if ('memory' in server) return {evidence: 'get_servers names memory `memory`: 1.15 or 1.16 (only get_zones tells them apart)', version: null}
  }

  return undefined
}

/** True when `version` is `since` or later. */
export function isAtLeast(version: KasmVersion, since: KasmVersion): boolean {
  return KASM_VERSIONS.indexOf(version) >= KASM_VERSIONS.indexOf(since)
}

function sameSet(a: readonly string[], b: readonly string[]): boolean {
  return a.length === b.length && a.every((item) => b.includes(item))
}

/**
 * Combines what the database and the API say. The database wins when it knows the revision; an
 * unknown revision falls back to the API's shape (1.15's revision is undocumented, so that is the
 * normal case there) and warns when the shape says a newer release.
 */
export function combineVersion(database: DatabaseFacts | undefined, api: Pick<DetectedVersion, 'evidence' | 'version'> | undefined): DetectedVersion {
  const alembicRevision = database?.alembicRevision ?? null
  const fromDatabase = database ? versionFromDatabase(database) : undefined
  if (fromDatabase) return {...fromDatabase, alembicRevision, source: 'database', warning: null}
  const known = KASM_VERSIONS.join(', ')
  if (!api) {
    const why = database ? `alembic revision ${alembicRevision ?? 'none'} is not one kasmctl knows and the API could not be read` : 'neither the database nor the API could be read'
    return {alembicRevision, evidence: why, source: 'none', version: null, warning: `Kasm version unknown: ${why}. kasmctl knows ${known}; carrying on.`}
  }

  if (api.version === null) {
    return {...api, alembicRevision, source: 'api', warning: `Kasm version unknown: ${api.evidence}. kasmctl knows ${known}; carrying on with what this server returns.`}
  }

  const newRevision = database && api.version !== '1.15'
  return {
    ...api,
    alembicRevision,
    source: 'api',
    warning: newRevision
      ? `alembic revision ${alembicRevision ?? 'none'} is not one kasmctl knows (it knows ${known}); the API looks like ${api.version}: a newer release may differ.`
      : null,
  }
}

/** The database's revision (null when it has none) and PostgreSQL major version. */
export async function readDatabaseFacts(db: {query(sql: string): Promise<{rows: Raw[]}>}): Promise<DatabaseFacts> {
  const {rows} = await db.query(`SELECT current_setting('server_version_num')::int / 10000 AS major, to_regclass('alembic_version') IS NOT NULL AS has_revision`)
  const revision = rows[0]?.has_revision ? (await db.query('SELECT version_num FROM alembic_version LIMIT 1')).rows[0]?.version_num : undefined
  return {alembicRevision: typeof revision === 'string' ? revision : null, postgresMajor: Number(rows[0]?.major)}
}

const detected = new WeakMap<KasmClient, Promise<DetectedVersion>>()

export interface DetectOptions {
  /** Read the context's database (when it has one). Default true. */
  database?: boolean
}

/**
 * The release behind a context: from its database when it has one (a short connection), else from
 * the API's shape (one `get_zones`). Never throws: what cannot be read becomes a warning. Memoised
 * per client, so several callers in one command pay once.
 */
export async function detectKasmVersion(client: KasmClient | undefined, context: ContextConfig, options: DetectOptions = {}): Promise<DetectedVersion> {
  const run = async (): Promise<DetectedVersion> => {
    const useDatabase = options.database !== false && context.database
    const database = useDatabase ? await databaseFactsOf(context).catch(() => undefined) : undefined
    if (database && versionFromDatabase(database)) return combineVersion(database, undefined)
    const api = client ? await apiShapeOf(client).catch(() => undefined) : undefined
    return combineVersion(database, api)
  }

  if (!client) return run()
  let pending = detected.get(client)
  if (!pending) detected.set(client, (pending = run()))
  return pending
}

/**
 * Detection for a context alone (`context show`): its own short-lived API client with no retries,
 * so an unreachable server costs one timeout, not a backoff series.
 */
export async function detectContextVersion(context: ContextConfig): Promise<DetectedVersion> {
  const {KasmClient} = await import('./client.js')
  const client = await KasmClient.fromContext(context, {retries: 0, timeoutMs: 5000}).catch(() => undefined)
  try {
    return await detectKasmVersion(client, context)
  } finally {
    client?.close()
  }
}

async function databaseFactsOf(context: ContextConfig): Promise<DatabaseFacts> {
  const {connectDatabase} = await import('../db/connect.js')
  const db = await connectDatabase(context, {applicationName: 'kasmctl version', connectTimeoutMs: 5000})
  try {
    return await readDatabaseFacts(db)
  } finally {
    await db.end().catch(() => undefined)
  }
}

/** get_zones first (it tells all three releases apart); get_servers when the key may not read zones. */
async function apiShapeOf(client: KasmClient): Promise<Pick<DetectedVersion, 'evidence' | 'version'> | undefined> {
  const zones = await client.call<{zones?: Raw[]}>('get_zones', {brief: true}).then((answer) => answer.zones, () => undefined)
  if (zones && zones.length > 0) return versionFromApiShape({zones})
  const {servers} = await client.call<{servers?: Raw[]}>('get_servers')
  return versionFromApiShape({servers})
}

/** "1.19 (alembic revision bfc22f00ad19)", or "unknown (…)". */
export function describeVersion(detected: DetectedVersion): string {
  return `${detected.version ?? 'unknown'} (${detected.source === 'none' ? '' : `${detected.source}: `}${detected.evidence})`
}
