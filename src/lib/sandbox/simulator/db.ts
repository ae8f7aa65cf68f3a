import pg from 'pg'

import type {PgConnection} from '../contract.js'

/** pg type OIDs whose text form we turn into Kasm's JSON shapes. */
const OID = {int8: 20, timestamp: 1114, uuid: 2950} as const

/**
 * Kasm prints naive UTC datetimes as Python's str(datetime) with microseconds:
 * "2024-03-05 22:18:50.063048". PostgreSQL trims trailing zeros, so pad the fraction.
 */
export function kasmTimestamp(text: string): string {
  const [whole, fraction = ''] = text.split('.')
  return `${whole}.${fraction.padEnd(6, '0').slice(0, 6)}`
}

export function kasmNow(): string {
  return kasmTimestamp(new Date().toISOString().replace('T', ' ').replace('Z', ''))
}

/** Kasm emits uuid.hex: 32 lowercase hex characters, no dashes. */
export function hexId(value: string): string {
  return value.replaceAll('-', '').toLowerCase()
}

const UUID = /^[\da-f]{32}$/

/** Accepts dashed or 32-hex ids (any case), as Kasm does; anything else is not a uuid. */
export function asUuid(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined
  const hex = hexId(value.trim())
  return UUID.test(hex) ? hex : undefined
}

function typeParser(oid: number, format?: string): (text: string) => unknown {
  switch (oid) {
    case OID.int8: {
      return Number
    }

    case OID.timestamp: {
      return kasmTimestamp
    }

    case OID.uuid: {
      return hexId
    }

    default: {
      return pg.types.getTypeParser(oid, format as 'text')
    }
  }
}

/**
 * One pool for every web app and the live loop. Sessions run in UTC so that `localtimestamp`
 * is Kasm's naive UTC "now"; uuids, timestamps and bigints come back already in Kasm's JSON form.
 */
export function createPool(connection: PgConnection, log?: (line: string) => void): pg.Pool {
  const pool = new pg.Pool({
    ...connection,
    // A stopped database must fail requests quickly (500 page), not hang them.
    connectionTimeoutMillis: 3000,
    idleTimeoutMillis: 10_000,
    max: 8,
    options: '-c TimeZone=UTC',
    types: {getTypeParser: typeParser as typeof pg.types.getTypeParser},
  })
  // Idle clients die when the database is stopped (a fault); the next query reconnects.
  pool.on('error', (error) => log?.(`database connection lost: ${error.message}`))
  return pool
}

export type Queryable = pg.Pool | pg.PoolClient

/** Runs fn in a transaction on one pooled client. */
export async function transaction<T>(pool: pg.Pool, fn: (client: pg.PoolClient) => Promise<T>): Promise<T> {
  const client = await pool.connect()
  try {
    await client.query('BEGIN')
    const result = await fn(client)
    await client.query('COMMIT')
    return result
  } catch (error) {
    await client.query('ROLLBACK').catch(() => {})
    throw error
  } finally {
    client.release()
  }
}

const columnCache = new WeakMap<object, Map<string, Promise<Set<string>>>>()

/**
 * The columns a table has in this variant's schema (read once per pool: `sandbox reset` re-creates
 * the database from the same schema). A field whose column a release lacks is one that release
 * accepts in a request and silently drops, as Kasm's models ignore what they do not declare.
 */
async function tableColumns(db: Queryable, table: string): Promise<Set<string>> {
  let tables = columnCache.get(db)
  if (!tables) columnCache.set(db, (tables = new Map()))
  let columns = tables.get(table)
  if (!columns) {
    columns = db
      .query<{column_name: string}>('SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = $1', [table])
      .then(({rows}) => new Set(rows.map((row) => row.column_name)))
    columns.catch(() => tables!.delete(table))
    tables.set(table, columns)
  }

  return columns
}

/** The changes whose columns the table has; the others are dropped without a word, as Kasm does. */
export async function storedColumnsOnly(db: Queryable, table: string, changes: Record<string, unknown>): Promise<Record<string, unknown>> {
  const columns = await tableColumns(db, table)
  return Object.fromEntries(Object.entries(changes).filter(([column]) => columns.has(column)))
}
