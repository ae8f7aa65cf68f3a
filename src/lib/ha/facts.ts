/**
 * What `kasmctl ha` reads from Kasm's database besides the health checks: replication, the peak
 * concurrency in Kasm's own session history (`accounting`, kasm-schema.md) and the zones that had
 * sessions.
 */
import type pg from 'pg'

import {normalizeId} from '../kasm/ids.js'

export interface Replication {
  /** The connection is to a standby (pg_is_in_recovery()). */
  inRecovery: boolean
  /** Standbys streaming from this server (pg_stat_replication); address/state null when the role may not see them. */
  replicas: Array<{address: null | string; state: null | string; syncState: null | string}>
}

export async function readReplication(db: pg.Client): Promise<Replication> {
  const {rows: recovery} = await db.query<{in_recovery: boolean}>('SELECT pg_is_in_recovery() AS in_recovery')
  const {rows: replicas} = await db.query<{address: null | string; state: null | string; sync_state: null | string}>(
    'SELECT client_addr::text AS address, state, sync_state FROM pg_stat_replication ORDER BY client_addr',
  )
  return {inRecovery: recovery[0].in_recovery, replicas: replicas.map((r) => ({address: r.address, state: r.state, syncState: r.sync_state}))}
}

/** Host names of managed PostgreSQL services, which fail over on their own. */
const MANAGED_ENDPOINTS: Array<[RegExp, string]> = [
  [/\.rds\.amazonaws\.com(\.cn)?$/i, 'AWS RDS / Aurora'],
  [/\.postgres\.database\.azure\.com$/i, 'Azure Database for PostgreSQL'],
  [/\.cloudsql\.|\.sql\.goog$/i, 'Google Cloud SQL'],
  [/\.oraclecloud\.com$|\.oci\.oraclecloud/i, 'OCI PostgreSQL'],
]

/** The managed service a database host name belongs to, if any. */
export function managedService(host: string): string | undefined {
  return MANAGED_ENDPOINTS.find(([pattern]) => pattern.test(host))?.[1]
}

export interface SessionHistory {
  /** Most sessions running at once since `since`, finished (accounting) and live (kasms) together. */
  peak: number
  peakAt: Date | null
  /** Finished sessions in the window. */
  finished: number
  /** Zone ids that had sessions in the window or have them now. */
  zones: Set<string>
}

/**
 * The peak concurrency from Kasm's accounting table (one row per finished session) plus the live
 * sessions, by sweeping start (+1) and end (-1) events in time order; at equal times ends come first.
 */
export async function readSessionHistory(db: pg.Client, since: Date): Promise<SessionHistory> {
  // Kasm's timestamps are naive UTC: compare with the same, whatever the process's time zone.
  const window = [since.toISOString().replace('Z', '')]
  // One connection runs one query at a time: in sequence.
  const {rows: peak} = await db.query<{at: Date | null; finished: string; peak: null | string}>(
    `WITH events AS (
       SELECT start_date AS t, 1 AS d FROM accounting WHERE start_date IS NOT NULL AND coalesce(destroyed_date, now() AT TIME ZONE 'UTC') >= $1
       UNION ALL SELECT destroyed_date, -1 FROM accounting WHERE start_date IS NOT NULL AND destroyed_date >= $1
       UNION ALL SELECT coalesce(start_date, created_date), 1 FROM kasms
     ), running AS (SELECT t, sum(d) OVER (ORDER BY t, d ROWS UNBOUNDED PRECEDING) AS n FROM events)
     SELECT (SELECT max(n) FROM running)::text AS peak,
            (SELECT t FROM running ORDER BY n DESC, t LIMIT 1) AS at,
            (SELECT count(*) FROM accounting WHERE destroyed_date >= $1)::text AS finished`,
    window,
  )
  const {rows: zones} = await db.query<{zone_id: string}>(
    `SELECT DISTINCT zone_id::text AS zone_id FROM accounting WHERE zone_id IS NOT NULL AND destroyed_date >= $1
     UNION SELECT DISTINCT s.zone_id::text FROM kasms k JOIN servers s ON s.server_id = k.server_id WHERE s.zone_id IS NOT NULL`,
    window,
  )
  return {
    finished: Number(peak[0].finished),
    peak: Math.max(0, Number(peak[0].peak ?? 0)),
    peakAt: peak[0].at,
    zones: new Set(zones.map((z) => normalizeId(z.zone_id))),
  }
}
