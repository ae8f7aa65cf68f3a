import {type AutoscaleHooks, autoscaleTick} from './autoscaler.js'
import type {Queryable} from './db.js'

/** Session states that mean "being deleted": the live loop finishes them off. */
export const DELETE_STATES = ['admin_delete_pending', 'delete_pending', 'deleting', 'destroying', 'user_delete_pending']

/**
 * Destroys sessions the way Kasm does: the kasms row goes, a row in accounting records it.
 * `where` filters `kasms k`; `reason` is an SQL expression over the deleted row `g`.
 */
export async function archiveKasms(db: Queryable, where: string, params: unknown[], reason: string): Promise<number> {
  const {rowCount} = await db.query(
    `WITH gone AS (DELETE FROM kasms k WHERE ${where} RETURNING k.*)
     INSERT INTO accounting (kasm_id, user_id, user_name, image_id, image_name, image_friendly_name, start_date,
                             destroyed_date, destroy_reason, usage_hours, server_id, server_hostname, zone_id,
                             zone_name, created_date)
     SELECT g.kasm_id, g.user_id, u.username, g.image_id, i.name, i.friendly_name, g.start_date,
            localtimestamp, ${reason},
            extract(epoch FROM localtimestamp - COALESCE(g.start_date, g.created_date)) / 3600,
            g.server_id, s.hostname, s.zone_id, z.zone_name, g.created_date
       FROM gone g
       LEFT JOIN users u ON u.user_id = g.user_id
       LEFT JOIN images i ON i.image_id = g.image_id
       LEFT JOIN servers s ON s.server_id = g.server_id
       LEFT JOIN zones z ON z.zone_id = s.zone_id`,
    params,
  )
  return rowCount ?? 0
}

export interface TickTargets {
  /** Agent hostnames that must not check in (fault agent-no-checkin). */
  silentAgents: string[]
  /** Managers of running web apps. */
  managerIds: string[]
  /** Connection proxies (guac) of the deployment. */
  connectionProxyIds: string[]
  /** The autoscaler's view of the deployment (check-in JWTs); no autoscaling without it. */
  autoscale?: AutoscaleHooks
}

/**
 * One live-loop tick: running agents, web apps' managers and guac proxies check in; sessions past
 * their expiration_date are destroyed ('expired'); sessions marked for deletion are removed; then
 * the autoscaler takes its step (autoscaler.ts).
 */
export async function liveTick(db: Queryable, targets: TickTargets): Promise<{destroyed: number}> {
  const destroyed = await checkinsAndExpiry(db, targets)
  if (targets.autoscale) await autoscaleTick(db, targets.autoscale)
  return {destroyed}
}

async function checkinsAndExpiry(db: Queryable, targets: TickTargets): Promise<number> {
  const [, , , destroyed] = await Promise.all([
    db.query(
      `UPDATE servers SET last_reported = localtimestamp
        WHERE server_type = 'host' AND operational_status = 'running' AND NOT (hostname = ANY($1::text[]))`,
      [targets.silentAgents],
    ),
    db.query(
      `UPDATE managers SET last_reported = localtimestamp, first_reported = COALESCE(first_reported, localtimestamp)
        WHERE manager_id = ANY($1::uuid[])`,
      [targets.managerIds],
    ),
    db.query(
      `UPDATE connection_proxies SET last_reported = localtimestamp, first_reported = COALESCE(first_reported, localtimestamp)
        WHERE connection_proxy_id = ANY($1::uuid[])`,
      [targets.connectionProxyIds],
    ),
    archiveKasms(
      db,
      'k.expiration_date < localtimestamp OR k.operational_status = ANY($1::text[])',
      [DELETE_STATES],
      `CASE g.operational_status WHEN 'admin_delete_pending' THEN 'admin_destroyed'
                                 WHEN 'user_delete_pending' THEN 'user_destroyed'
                                 ELSE CASE WHEN g.operational_status = ANY($1::text[]) THEN 'destroyed' ELSE 'expired' END END`,
    ),
  ])
  return destroyed
}
