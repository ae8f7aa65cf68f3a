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
