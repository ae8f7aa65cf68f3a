import {randomBytes} from 'node:crypto'
import {hostname} from 'node:os'
import type pg from 'pg'

import {quoteIdent} from '../db/target.js'
import {AuthError} from '../errors.js'
import {holderAlive, type LockHolder} from '../lock.js'
import {processStartTime} from '../process/proc.js'

const SCRATCH_PREFIX = 'kasmctl_verify_'

/**
 * Creates the scratch database of a restore test on a server the operator named (`backup verify --target-url`),
 * its owner (this run, as a lock file names its holder) in the database's comment. A restore test killed with
 * SIGKILL cannot drop it: a whole restored copy of Kasm's database would stay on that server. So each new one first
 * drops those whose owner ran on this machine and no longer runs, and says so (or, when this role may not drop one,
 * names the statement that does). One whose owner ran elsewhere, or that has no owner yet (it is being created this
 * instant), is not ours to judge and is left.
 */
export async function createScratchDatabase(admin: pg.Client, database: string, options: {server: string; onWarning?: (message: string) => void}): Promise<void> {
  const {rows: [role]} = await admin.query<{name: string; allowed: boolean}>('SELECT current_user AS name, rolsuper OR rolcreatedb AS allowed FROM pg_roles WHERE rolname = current_user')
  if (!role?.allowed) {
    throw new AuthError(`role ${role?.name} on ${options.server} may not create the scratch database: it lacks CREATEDB and is not SUPERUSER; give --target-url a role that has one`)
  }

  for (const left of await dropAbandonedScratchDatabases(admin)) {
    const whose = `the scratch database of a restore test whose kasmctl (pid ${left.owner}) was killed`
    // Not this run's to fail over: another role may own it. The operator is told how to finish.
    options.onWarning?.(
      left.error
        ? `could not drop database ${left.database} on ${options.server}, ${whose}: ${left.error}; drop it as its owner: DROP DATABASE ${quoteIdent(left.database)}`
        : `dropped database ${left.database} on ${options.server}, ${whose}`,
    )
  }

  const owner: LockHolder = {hostname: hostname(), pid: process.pid, processStart: processStartTime(process.pid), purpose: 'backup verify --restore-test', startedAt: new Date().toISOString()}
  await admin.query(`CREATE DATABASE ${quoteIdent(database)}`)
  await admin.query(`COMMENT ON DATABASE ${quoteIdent(database)} IS ${admin.escapeLiteral(JSON.stringify(owner))}`)
}

/** A new name for the scratch database of a restore test, on a scratch cluster or a named server. */
export function scratchDatabaseName(): string {
  return `${SCRATCH_PREFIX}${randomBytes(4).toString('hex')}`
}

/** Drops the scratch databases on that server whose owning run is known to be gone: each one, and why not when it could not. */
async function dropAbandonedScratchDatabases(admin: pg.Client): Promise<Array<{database: string; owner: number; error?: string}>> {
  const {rows} = await admin.query<{database: string; comment: null | string}>(
    `SELECT datname AS database, shobj_description(oid, 'pg_database') AS comment FROM pg_database WHERE starts_with(datname, $1)`,
    [SCRATCH_PREFIX],
  )
  const abandoned: Array<{database: string; owner: number; error?: string}> = []
  for (const {comment, database} of rows) {
    const owner = parseOwner(comment)
    if (!owner || holderAlive(owner)) continue
    const error = await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`).then(
      () => undefined,
      (failure: Error) => failure.message,
    )
    abandoned.push({database, error, owner: owner.pid})
  }

  return abandoned
}

function parseOwner(comment: null | string): LockHolder | undefined {
  try {
    const owner = JSON.parse(comment ?? '') as LockHolder
    return typeof owner?.pid === 'number' && typeof owner.hostname === 'string' ? owner : undefined
  } catch {
    return undefined
  }
}
