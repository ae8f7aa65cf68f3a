import type pg from 'pg'

import {LockedError} from '../errors.js'

/** Advisory lock keys: ('KASM' as int32, job). One purge per database; never a table lock. */
const KASMCTL_CLASS = 0x4b_41_53_4d
export const LOG_PURGE_LOCK = {classId: KASMCTL_CLASS, name: 'log purge', objectId: 1}

export type AdvisoryLock = typeof LOG_PURGE_LOCK

export interface LockHolderSession {
  pid: number
  application: string | null
  user: string | null
  client: string | null
  since: Date | null
}

/**
 * Takes a session-level advisory lock without waiting. It is released by `releaseAdvisoryLock`
 * or when the connection ends, so a killed kasmctl never leaves it behind.
 * Another holder → LockedError (75) naming its pid.
 */
export async function acquireAdvisoryLock(db: pg.Client, lock: AdvisoryLock): Promise<void> {
  const {rows} = await db.query<{locked: boolean}>('SELECT pg_try_advisory_lock($1, $2) AS locked', [lock.classId, lock.objectId])
  if (rows[0].locked) return
  const holder = await advisoryLockHolder(db, lock)
  const who = holder
    ? `pid ${holder.pid}${holder.application ? ` (${holder.application}` : ' ('}${holder.user ? `, user ${holder.user}` : ''}${holder.client ? `, from ${holder.client}` : ''}${holder.since ? `, since ${holder.since.toISOString()}` : ''})`
    : 'another session'
  throw new LockedError(`another ${lock.name} is running on this database: ${who}`.replace(' ()', ''), {
    details: {lock: lock.name, pid: holder?.pid ?? null},
    hint: holder
      ? `wait for it to finish; to stop it, run SELECT pg_cancel_backend(${holder.pid}) as a superuser (committed batches stay committed)`
      : 'wait for it to finish',
  })
}

export async function releaseAdvisoryLock(db: pg.Client, lock: AdvisoryLock): Promise<void> {
  await db.query('SELECT pg_advisory_unlock($1, $2)', [lock.classId, lock.objectId])
}

/** The session holding the lock (pg_locks joined with pg_stat_activity), if any. */
export async function advisoryLockHolder(db: pg.Client, lock: AdvisoryLock): Promise<LockHolderSession | undefined> {
  const {rows} = await db.query<LockHolderSession>(
    `SELECT l.pid, a.application_name AS application, a.usename AS user, host(a.client_addr) AS client, a.backend_start AS since
       FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
      WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1 AND l.objid = $2 AND l.objsubid = 2
        AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
      LIMIT 1`,
    [lock.classId, lock.objectId],
  )
  return rows[0]
}
