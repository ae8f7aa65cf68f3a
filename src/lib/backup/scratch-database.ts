import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import type pg from 'pg'

import {holderAlive, type LockHolder} from '../lock.js'
import {processStartTime} from '../process/proc.js'
import {quoteIdent} from '../db/target.js'

const SCRATCH_PREFIX = 'kasmctl_verify_'

/**
 * Creates the scratch database of a restore test on a server the operator named (`backup verify --target-url`),
 * its owner (this run, as a lock file names its holder) in the database's comment. A restore test killed with
 * SIGKILL cannot drop it: a whole restored copy of Kasm's database would stay on that server. So each new one first
 * drops those whose owner ran on this machine and no longer runs, and says so. One whose owner ran elsewhere, or
 * that has no owner yet (it is being created this instant), is not ours to judge and is left.
 */
export async function createScratchDatabase(admin: pg.Client, database: string, options: {server: string; onWarning?: (message: string) => void}): Promise<void> {
  for (const dropped of await dropAbandonedScratchDatabases(admin)) {
    options.onWarning?.(`dropped database ${dropped.database} on ${options.server}, the scratch database of a restore test whose kasmctl (pid ${dropped.owner}) was killed`)
  }

  const owner: LockHolder = {hostname: hostname(), pid: process.pid, processStart: processStartTime(process.pid), purpose: 'backup verify --restore-test', startedAt: new Date().toISOString()}
  await admin.query(`CREATE DATABASE ${quoteIdent(database)}`)
  await admin.query(`COMMENT ON DATABASE ${quoteIdent(database)} IS ${admin.escapeLiteral(JSON.stringify(owner))}`)
}

/** A new name for the scratch database of a restore test, on a scratch cluster or a named server. */
export function scratchDatabaseName(): string {
  return `${SCRATCH_PREFIX}${randomBytes(4).toString('hex')}`
}

/** Drops the scratch databases on that server whose owning run is known to be gone. Returns what it dropped. */
export async function dropAbandonedScratchDatabases(admin: pg.Client): Promise<Array<{database: string; owner: number}>> {
  const {rows} = await admin.query<{database: string; comment: null | string}>(
    `SELECT datname AS database, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE starts_with(datname, $1)`,
    [SCRATCH_PREFIX],
  )
  const dropped: Array<{database: string; owner: number}> = []
  for (const {comment, database} of rows) {
    const owner = parseOwner(comment)
    if (!owner || holderAlive(owner)) continue
    await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`)
    dropped.push({database, owner: owner.pid})
  }

  return dropped
}

function parseOwner(comment: null | string): LockHolder | undefined {
  try {
    const owner = JSON.parse(comment ?? '') as LockHolder
    return typeof owner?.pid === 'number' && typeof owner.hostname === 'string' ? owner : undefined
  } catch {
    return undefined
  }
}
