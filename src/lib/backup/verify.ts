import {stat} from 'node:fs/promises'
import {basename} from 'node:path'
import pg from 'pg'

import {describe} from '../config/schema.js'
import {connectTarget} from '../db/connect.js'
import {describeTarget, parseDatabaseUrl, quoteIdent, type DatabaseTarget} from '../db/target.js'
import {databaseUrlProblem} from '../db/url.js'
import {isKasmctlError, NotFoundError, UsageError} from '../errors.js'
import {feedArchive} from './archive.js'
import {readChecksumFile, sha256File} from './checksum.js'
import {type BackupManifest, readManifest} from './manifest.js'
import {parseBackupName} from './naming.js'
import {detectVia, KASM_DB_CONTAINER, type PgEndpoint, rowCountsSql, toolInvocation} from './pg-tools.js'
import {findExecutable} from '../process/children.js'
import {createScratchDatabase, scratchDatabaseName} from './scratch-database.js'
import {startScratchCluster} from './scratch-postgres.js'

export type VerifyCheckName = 'archive' | 'checksum' | 'restore'

export interface VerifyCheck {
  name: VerifyCheckName
  ok: boolean
  message: string
}

export interface RowCountCheck {
  table: string
  expected: number
  restored: number | null
}

export interface VerifyResult {
  file: string
  path: string
  ok: boolean
  checks: VerifyCheck[]
  /** Set by --restore-test when the manifest has row counts. */
  rowCounts: RowCountCheck[] | null
}

export interface VerifyOptions {
  restoreTest?: boolean
  /** Restore into a scratch database on this server instead of a throwaway local cluster. */
  targetUrl?: string
  /** Password for targetUrl (from KASMCTL_TARGET_PASSWORD; never a flag). */
  targetPassword?: string
  /** Told what was cleaned up on the way (a scratch cluster or database a killed run left). */
  onWarning?: (message: string) => void
}

/**
 * Checks a backup the way an operator would before trusting it: the checksum, then
 * `pg_restore --list` (the archive is readable and holds data for every table the manifest
 * counted), then optionally a real restore into a scratch database whose row counts must equal
 * the manifest's. Stops at the first failed check.
 */
export async function verifyBackup(path: string, options: VerifyOptions = {}): Promise<VerifyResult> {
  // Refused before any check runs: a typo must not surface minutes later, after the checksum of a large file.
  if (options.targetUrl) checkTargetUrl(options.targetUrl)
  const parsed = parseBackupName(basename(path))
  if (!parsed || parsed.partial) {
    throw new UsageError(`${path} is not a kasmctl backup (expected kasm_db_<context>_<time>.tar[.zst|.gz] or .dump[.zst])`)
  }

  const info = await stat(path).catch(() => undefined)
  if (!info) throw new NotFoundError(`backup ${path} does not exist`)
  if (!info.isFile()) throw new UsageError(`${path} is ${info.isDirectory() ? 'a directory' : 'not a regular file'}, not a backup file`)
  const manifest = await readManifest(path)
  const source = {compression: manifest?.options.compression ?? parsed.compression, format: parsed.format, path}
  const result: VerifyResult = {checks: [], file: basename(path), ok: false, path, rowCounts: null}
  const record = (name: VerifyCheckName, ok: boolean, message: string): boolean => {
    result.checks.push({message, name, ok})
    return ok
  }

  const recorded = await readChecksumFile(path)
  if (!recorded) {
    record('checksum', false, `no valid ${basename(path)}.sha256 beside the backup`)
    return result
  }

  const actual = await sha256File(path)
  if (actual !== recorded) {
    record('checksum', false, `sha256 mismatch: the .sha256 file records ${recorded}, the file hashes to ${actual} (the file was changed or damaged)`)
    return result
  }

  if (manifest && manifest.sha256 !== recorded) {
    record('checksum', false, `the manifest records sha256 ${manifest.sha256}, the .sha256 file ${recorded}`)
    return result
  }

  record('checksum', true, `sha256 ${actual} matches`)
  const tools = await listingTools()
  const listing = await attempt(() => feedArchive(source, toolInvocation(tools, 'pg_restore', ['--list'], null), {list: true}))
  if (typeof listing !== 'string') {
    record('archive', false, `pg_restore cannot read the archive: ${listing.message}`)
    return result
  }

  const missing = tablesWithoutData(listing, manifest)
  const entries = listing.split('\n').filter((line) => /^\d+;/.test(line)).length
  if (!record('archive', missing.length === 0, missing.length === 0 ? `${entries} archive entries readable${tools.via === 'docker' ? ` (pg_restore inside ${KASM_DB_CONTAINER})` : ''}` : `the archive holds no data for ${missing.join(', ')}, which the manifest counted`)) {
    return result
  }

  if (options.restoreTest) {
    const restored = await attempt(() => restoreTest(source, manifest, options))
    if (Array.isArray(restored)) {
      result.rowCounts = restored
      const wrong = restored.filter((r) => r.restored !== r.expected)
      record(
        'restore',
        wrong.length === 0,
        !manifest
          ? 'restored into a scratch database (no manifest: row counts not compared)'
          : wrong.length === 0
            ? `restored into a scratch database; row counts of ${restored.length} tables match the manifest`
            : `row counts differ from the manifest: ${wrong.map((r) => `${r.table} ${r.restored ?? 'missing'} (expected ${r.expected})`).join(', ')}`,
      )
    } else {
      record('restore', false, `the test restore failed: ${restored.message}`)
    }
  }

  result.ok = result.checks.every((check) => check.ok)
  return result
}

/**
 * pg_restore --list needs no database: it runs the local client tools when they are installed, else
 * those inside kasm_db (a single-server Kasm host often has no PostgreSQL client of its own).
 */
async function listingTools(): Promise<PgEndpoint> {
  const via = findExecutable('pg_restore') ? 'local' : await detectVia()
  return {database: '', description: via === 'local' ? 'local' : KASM_DB_CONTAINER, user: '', via}
}

async function attempt<T>(run: () => Promise<T>): Promise<Error | T> {
  try {
    return await run()
  } catch (error) {
    if (isKasmctlError(error) || error instanceof Error) return error
    throw error
  }
}

/** Tables the manifest counted rows for whose TABLE DATA entry is missing from the archive listing. */
function tablesWithoutData(listing: string, manifest: BackupManifest | undefined): string[] {
  if (!manifest) return []
  const withData = new Set([...listing.matchAll(/^\d+; \d+ \d+ TABLE DATA public (\S+) /gm)].map((m) => m[1]))
  return Object.entries(manifest.rowCounts)
    .filter(([table, count]) => count > 0 && !withData.has(table))
    .map(([table]) => table)
}

/** A --target-url that could never be used is a usage error (exit 64) naming it, its password masked. */
function checkTargetUrl(url: string): void {
  const problem = databaseUrlProblem(url)
  if (problem) throw new UsageError(`--target-url ${describe(url)} ${problem}`)
  if (new URL(url).password) throw new UsageError('--target-url must not contain a password: set KASMCTL_TARGET_PASSWORD instead')
}

/** Restores into a scratch database (throwaway local cluster, or a new database on --target-url), counts rows, drops it. */
async function restoreTest(source: Parameters<typeof feedArchive>[0], manifest: BackupManifest | undefined, options: VerifyOptions): Promise<RowCountCheck[]> {
  const database = scratchDatabaseName()
  let target: DatabaseTarget
  let cleanup: () => Promise<void>
  if (options.targetUrl) {
    const named = parseDatabaseUrl(options.targetUrl, '--target-url')
    target = {...named, password: options.targetPassword}
    const admin = await connectTarget(target, {applicationName: 'kasmctl backup verify'})
    try {
      await createScratchDatabase(admin, database, {onWarning: options.onWarning, server: describeTarget(target)})
    } catch (error) {
      await admin.end()
      throw error
    }

    cleanup = async () => {
      await admin.query(`DROP DATABASE IF EXISTS ${quoteIdent(database)} WITH (FORCE)`).finally(() => admin.end())
    }
  } else {
    const cluster = await startScratchCluster({onWarning: options.onWarning})
    target = {database: 'postgres', host: cluster.socketDir, port: cluster.port, source: 'scratch cluster', sslmode: 'disable', user: cluster.user}
    const admin = new pg.Client({database: 'postgres', host: cluster.socketDir, port: cluster.port, user: cluster.user})
    await admin.connect()
    await admin.query(`CREATE DATABASE ${database}`).finally(() => admin.end())
    cleanup = cluster.destroy
  }

  try {
    const endpoint: PgEndpoint = {database, description: describeTarget({...target, database}), target: {...target, database}, user: target.user, via: 'local'}
    // Roles of the source (kasmapp) need not exist on the scratch server: restore without owners and grants.
    await feedArchive(source, toolInvocation(endpoint, 'pg_restore', ['--no-owner', '--no-privileges', '--exit-on-error']))
    if (!manifest) return []
    const client = await connectTarget({...target, database}, {applicationName: 'kasmctl backup verify'})
    try {
      const counts = JSON.parse((await client.query<{json: string}>(rowCountsSql(Object.keys(manifest.rowCounts)))).rows[0].json) as Record<string, number>
      return Object.entries(manifest.rowCounts).map(([table, expected]) => ({expected, restored: counts[table] ?? null, table}))
    } finally {
      await client.end()
    }
  } finally {
    await cleanup()
  }
}
