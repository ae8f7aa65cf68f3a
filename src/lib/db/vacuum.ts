import {readlink, statfs} from 'node:fs/promises'
import type pg from 'pg'

import {AuthError, LockedError, NotFoundError, OperationError} from '../errors.js'
import {describeHolders, queryError, SQLSTATE, sqlState, tableLockHolders} from './errors.js'
import {formatBytes} from '../output/units.js'
import {processArgv} from '../process/proc.js'

/**
 * VACUUM run by the operator: plain VACUUM (ANALYZE) by default, without autovacuum's cost
 * throttling (36× faster in performance-notes.md §1). It makes the space of deleted rows reusable;
 * only VACUUM FULL returns it to the OS, and it holds an ACCESS EXCLUSIVE lock for its whole run.
 */

export interface TableFigures {
  totalBytes: number
  tableBytes: number
  indexBytes: number
  liveTuples: number
  deadTuples: number
  lastVacuum: string | null
  lastAutovacuum: string | null
}

export interface DiskCheck {
  /** False when free space could not be measured (remote server, no access to the data directory). */
  checked: boolean
  neededBytes: number
  freeBytes: number | null
  dataDirectory: string | null
  /** Why the check could not be made, or failed. */
  reason: string | null
}

export interface VacuumPlan {
  /** The table as PostgreSQL names it (quoted and schema-qualified when needed). */
  table: string
  full: boolean
  analyze: boolean
  statement: string
  before: TableFigures
  /** Only for FULL: the rewrite needs room for a new copy of the table and its indexes. */
  disk: DiskCheck | null
}

export interface VacuumResult extends VacuumPlan {
  durationMs: number
  after: TableFigures
  /** Disk space given back to the operating system (FULL; plain VACUUM only truncates empty trailing pages). */
  returnedBytes: number
}

/** Resolves the table, checks the user may vacuum it, measures it and (for FULL) the free disk. */
export async function planVacuum(db: pg.Client, options: {table: string; full: boolean; analyze: boolean}): Promise<VacuumPlan> {
  const {rows} = await db.query<{name: string | null; allowed: boolean; user: string}>(
    `SELECT t.oid::regclass::text AS name, current_user AS user,
            t.oid IS NOT NULL AND (pg_has_role(c.relowner, 'USAGE') OR (SELECT rolsuper FROM pg_roles WHERE rolname = current_user)) AS allowed
       FROM (SELECT to_regclass($1) AS oid) t LEFT JOIN pg_class c ON c.oid = t.oid`,
    [options.table],
  )
  const [{allowed, name, user}] = rows
  if (!name) throw new NotFoundError(`there is no table "${options.table}" in database ${db.database}`, {hint: 'name a table of the database, e.g. --table logs'})
  if (!allowed) {
    // PostgreSQL would only warn and skip the table: say it up front instead.
    throw new AuthError(`database user ${user} may not VACUUM ${name}: that takes its owner or a superuser`, {
      hint: "connect as Kasm's database user (kasmapp owns the tables), e.g. with --from-host HOST",
    })
  }

  const before = await tableFigures(db, name)
  const words = [...(options.full ? ['FULL'] : []), ...(options.analyze ? ['ANALYZE'] : [])]
  return {
    analyze: options.analyze,
    before,
    disk: options.full ? await checkDisk(db, before.totalBytes) : null,
    full: options.full,
    statement: `VACUUM ${words.length > 0 ? `(${words.join(', ')}) ` : ''}${name}`,
    table: name,
  }
}

/** Runs the planned VACUUM. FULL refuses to start when the disk check found too little room. */
export async function runVacuum(db: pg.Client, plan: VacuumPlan, options: {lockTimeoutMs: number}): Promise<VacuumResult> {
  if (plan.disk?.checked && plan.disk.freeBytes !== null && plan.disk.freeBytes < plan.disk.neededBytes) {
    throw new OperationError(
      `VACUUM FULL ${plan.table} needs about ${formatBytes(plan.disk.neededBytes)} free for the new copy, and ${plan.disk.dataDirectory} has ${formatBytes(plan.disk.freeBytes)}`,
      {hint: 'free disk space first (or purge more logs and run a plain VACUUM, which needs no extra space)'},
    )
  }

  // Session settings: no cost-based throttling, no statement limit (VACUUM runs as long as it needs), bounded lock wait.
  await db.query(`SET vacuum_cost_delay = 0; SET statement_timeout = 0; SET lock_timeout = '${Math.round(options.lockTimeoutMs)}ms'`)
  const started = performance.now()
  try {
    await db.query(plan.statement)
  } catch (error) {
    if (sqlState(error) === SQLSTATE.LOCK_NOT_AVAILABLE) {
      const holders = await tableLockHolders(db, plan.table, plan.full ? ['AccessShareLock', 'RowShareLock', 'RowExclusiveLock', 'ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock'] : ['ShareUpdateExclusiveLock', 'ShareLock', 'ShareRowExclusiveLock', 'ExclusiveLock', 'AccessExclusiveLock']).catch(() => [])
      throw new LockedError(`could not lock ${plan.table} within ${options.lockTimeoutMs} ms${holders.length > 0 ? `: held by ${describeHolders(holders)}` : ''}; nothing was changed`, {
        details: {pids: holders.map((h) => h.pid), table: plan.table},
        hint: plan.full ? 'stop Kasm (or wait for the maintenance window) so that no session uses the table, then retry' : 'wait for the other maintenance on the table to finish, or raise --lock-timeout',
      })
    }

    throw queryError(error, `running ${plan.statement}`, {state: plan.full ? 'The table was left as it was (VACUUM FULL is all or nothing).' : undefined})
  }

  const durationMs = Math.round(performance.now() - started)
  await db.query('SELECT pg_stat_clear_snapshot()')
  const after = await tableFigures(db, plan.table)
  return {...plan, after, durationMs, returnedBytes: Math.max(0, plan.before.totalBytes - after.totalBytes)}
}

export async function tableFigures(db: pg.Client, table: string): Promise<TableFigures> {
  const {rows} = await db.query(
    `SELECT pg_total_relation_size(c.oid) AS total, pg_relation_size(c.oid) AS heap, pg_indexes_size(c.oid) AS indexes,
            coalesce(s.n_live_tup, 0) AS live, coalesce(s.n_dead_tup, 0) AS dead, s.last_vacuum, s.last_autovacuum
       FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid WHERE c.oid = to_regclass($1)`,
    [table],
  )
  const [r] = rows
  return {
    deadTuples: Number(r.dead),
    indexBytes: Number(r.indexes),
    lastAutovacuum: r.last_autovacuum?.toISOString() ?? null,
    lastVacuum: r.last_vacuum?.toISOString() ?? null,
    liveTuples: Number(r.live),
    tableBytes: Number(r.heap),
    totalBytes: Number(r.total),
  }
}

/**
 * Free space where the data directory lives, when the server runs on this machine and its data
 * directory is visible to us (as on a single-server Kasm install run as root). Otherwise unknown.
 */
export async function checkDisk(db: pg.Client, neededBytes: number): Promise<DiskCheck> {
  const unknown = (reason: string, dataDirectory: string | null = null): DiskCheck => ({checked: false, dataDirectory, freeBytes: null, neededBytes, reason})
  const host = db.host ?? ''
  if (!(host === 'localhost' || host.startsWith('127.') || host === '::1' || host.startsWith('/'))) {
    return unknown(`the database server ${host} is not on this machine`)
  }

  let dataDirectory: string | undefined
  try {
    dataDirectory = (await db.query<{data_directory: string}>('SHOW data_directory')).rows[0].data_directory
  } catch {
    dataDirectory = await backendWorkingDirectory(db)
  }

  if (!dataDirectory) return unknown('reading data_directory needs a superuser or pg_read_all_settings, and the server process is not visible here')

  try {
    const stats = await statfs(dataDirectory)
    return {checked: true, dataDirectory, freeBytes: Number(stats.bavail) * Number(stats.bsize), neededBytes, reason: null}
  } catch (error) {
    return unknown(`cannot inspect ${dataDirectory}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`, dataDirectory)
  }
}

/** A backend process runs in the data directory: read it from /proc when that process is ours to see. */
async function backendWorkingDirectory(db: pg.Client): Promise<string | undefined> {
  try {
    const pid = (await db.query<{pid: number}>('SELECT pg_backend_pid() AS pid')).rows[0].pid
    // In another pid namespace (a container) the number may belong to something else: check it is postgres.
    if (!processArgv(pid)?.[0]?.startsWith('postgres')) return undefined
    return await readlink(`/proc/${pid}/cwd`)
  } catch {
    return undefined
  }
}
