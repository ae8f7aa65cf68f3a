import type pg from 'pg'

import {AuthError, type KasmctlErrorOptions, NotFoundError, OperationError, UnavailableError} from '../errors.js'

/** SQLSTATE codes kasmctl reacts to. */
export const SQLSTATE = {
  INSUFFICIENT_PRIVILEGE: '42501',
  LOCK_NOT_AVAILABLE: '55P03',
  QUERY_CANCELED: '57014',
  UNDEFINED_TABLE: '42P01',
} as const

/** Server shutdown/restart and broken connections: the session is gone, the transaction in flight rolled back. */
const CONNECTION_LOST_CODES = new Set(['57P01', '57P02', '57P03', '08000', '08003', '08006', 'ECONNRESET', 'EPIPE', 'ECONNREFUSED'])

export function sqlState(error: unknown): string | undefined {
  return (error as {code?: string} | undefined)?.code
}

export function isConnectionLost(error: unknown): boolean {
  const code = sqlState(error)
  if (code && CONNECTION_LOST_CODES.has(code)) return true
  return /Connection terminated|connection is closed|Client has encountered a connection error|not queryable/i.test((error as Error)?.message ?? '')
}

/** The `logs` table (or another) must exist, and the user must hold the privileges an action needs. */
export async function requireTable(db: pg.Client, table: string, privileges: Array<'DELETE' | 'SELECT'>): Promise<void> {
  const {rows} = await db.query<{exists: boolean; missing: string[]; user: string; database: string}>(
    `SELECT t.oid IS NOT NULL AS exists, current_user AS user, current_database() AS database,
            coalesce((SELECT array_agg(p) FROM unnest($2::text[]) p WHERE NOT has_table_privilege(t.oid, p)), '{}') AS missing
       FROM (SELECT to_regclass($1) AS oid) t`,
    [table, privileges],
  )
  const [{database, exists, missing, user}] = rows
  if (!exists) {
    throw new NotFoundError(`database ${database} has no ${table} table`, {
      details: {database, table},
      hint:
        table === 'logs'
          ? "is this Kasm's database? Check the database name in the context URL (Kasm's is \"kasm\")"
          : table === 'system_metrics'
            ? 'Kasm adds system_metrics in 1.19; older versions have none to trim'
            : 'check the table name',
    })
  }

  if (missing.length > 0) {
    throw new AuthError(`database user ${user} lacks the ${missing.join(' and ')} privilege on ${table}`, {
      details: {database, missing, table, user},
      hint: `connect as Kasm's database user (kasmapp), or have an administrator run: GRANT ${missing.join(', ')} ON ${table} TO ${user}`,
    })
  }
}

/**
 * A query failure as a typed error. `state` says what was left behind (committed batches...) so
 * that the message tells the operator how to resume.
 */
export function queryError(error: unknown, what: string, options: KasmctlErrorOptions & {state?: string} = {}): Error {
  const message = (error as Error)?.message ?? String(error)
  const state = options.state ? ` ${options.state}` : ''
  if (isConnectionLost(error)) {
    return new UnavailableError(`the database connection was lost while ${what} (${message}).${state}`, {
      ...options,
      cause: error,
      hint: options.hint ?? 'check that PostgreSQL is up (`kasmctl health`), then run the command again',
    })
  }

  const code = sqlState(error)
  if (code === SQLSTATE.INSUFFICIENT_PRIVILEGE) {
    return new AuthError(`permission denied while ${what}: ${message}.${state}`, {...options, cause: error})
  }

  if (code === SQLSTATE.UNDEFINED_TABLE) {
    return new NotFoundError(`${message} while ${what}.${state}`, {...options, cause: error})
  }

  if (error instanceof Error && 'exitCode' in error) return error
  return new OperationError(`${what} failed: ${message}.${state}`, {...options, cause: error})
}

/** Sessions holding a lock on a table that blocks writers (for messages about a locked table). */
export async function tableLockHolders(
  db: pg.Client,
  table: string,
  modes = ['ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'],
): Promise<Array<{pid: number; mode: string; application: string | null; user: string | null}>> {
  const {rows} = await db.query(
    `SELECT l.pid, l.mode, a.application_name AS application, a.usename AS user
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.relation = to_regclass($1) AND l.granted AND l.pid <> pg_backend_pid() AND l.mode = ANY ($2)
      ORDER BY l.pid`,
    [table, modes],
  )
  return rows
}

export function describeHolders(holders: Array<{pid: number; mode: string; application: string | null}>): string {
  return holders.map((h) => `pid ${h.pid} (${h.mode}${h.application ? `, ${h.application}` : ''})`).join(', ')
}
