import {type FileHandle, open, rename, rm, stat} from 'node:fs/promises'
import {basename, join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import type {ContextConfig} from '../config/types.js'
import {pauseUnless} from '../duration.js'
import {OperationError} from '../errors.js'
import {feedArchive} from './archive.js'
import {type BackupEntry, listBackups} from './catalog.js'
import {sha256Appending, sha256File, writeChecksumFile} from './checksum.js'
import {checkDestination, destinationFull, lockBackupDir, removeLeftovers} from './destination.js'
import {type BackupManifest, writeManifest} from './manifest.js'
import {type BackupCompression, type BackupFormat, backupFileName, contextSlug, PARTIAL_SUFFIX} from './naming.js'
import {checkPgDumpVersion, KEY_TABLES, openSnapshotSession, type PgEndpoint, type SnapshotSession, resolveEndpoint, toolInvocation, toolVersion, type Via} from './pg-tools.js'
import {type Child, failureOf, startChild} from '../process/children.js'
import {compressorCommand, dumpCompressionArgs, requireCompressor} from './processes.js'
import {applyRetention, damagedWarning, planRetention, removeBackup, type RetentionDecision, type RetentionPlan, type RetentionPolicy} from './retention.js'

export interface CreateBackupOptions {
  context: ContextConfig
  dir: string
  via: Via
  format: BackupFormat
  compression: BackupCompression
  excludeLogs: boolean
  kasmctlVersion: string
  /** Applied after the new backup is complete and its checksum verified. */
  retention?: RetentionPolicy
  /** Aborting (SIGINT/SIGTERM) stops pg_dump and removes the partial file. */
  signal?: AbortSignal
  /** Progress and warnings, one line each. */
  onEvent?: (line: string, kind: 'progress' | 'warning') => void
}

export interface CreateBackupResult {
  manifest: BackupManifest
  path: string
  removed: RetentionDecision[]
}

/**
 * Online backup: pg_dump inside an exported snapshot, streamed (through zstd/gzip when asked) into
 * `<name>.partial`, fsynced, hashed, read back with pg_restore --list, its .sha256 and manifest
 * written, then renamed into place: a failure or kill at any point leaves no file that looks complete.
 * Retention runs only after that.
 */
export async function createBackup(options: CreateBackupOptions): Promise<CreateBackupResult> {
  const event = options.onEvent ?? (() => undefined)
  await checkDestination(options.dir)
  requireCompressor(options.format, options.compression)
  const lock = await lockBackupDir(options.dir, 'backup create', (message) => event(message, 'warning'))
  try {
    for (const leftover of await removeLeftovers(options.dir)) event(`removed ${leftover}, left by an interrupted run`, 'warning')
    const endpoint = await resolveEndpoint(options.context, options.via)
    event(`connecting to ${endpoint.description}`, 'progress')
    const {pgDumpVersion, session} = await prepareDump(endpoint)
    let manifest: BackupManifest
    let path: string
    try {
      checkPgDumpVersion(pgDumpVersion, session.facts.serverVersion, session.facts.serverVersionNum, endpoint.via)
      const startedAt = await freeTimestamp(options)
      path = join(options.dir, backupFileName(options.context.name, startedAt, options.format, options.compression))
      event(`dumping ${endpoint.database} (PostgreSQL ${session.facts.serverVersion}) to ${path}`, 'progress')
      // Counted in the dump's snapshot while pg_dump runs.
      const tables = options.excludeLogs ? KEY_TABLES.filter((table) => table !== 'logs') : KEY_TABLES
      const counting = session.countRows(tables)
      counting.catch(() => undefined) // awaited after the dump
      const written = await dumpToFile(endpoint, dumpArgs(options, session.snapshot), options, `${path}${PARTIAL_SUFFIX}`)
      const rowCounts = await counting.catch(async (error: Error) => {
        await rm(`${path}${PARTIAL_SUFFIX}`, {force: true})
        throw new OperationError(`counting the rows for the manifest failed: ${error.message}; no backup was written`, {cause: error})
      })
      const finishedAt = new Date()
      manifest = {
        context: options.context.name,
        database: {
          name: endpoint.database,
          serverVersion: session.facts.serverVersion,
          serverVersionNum: session.facts.serverVersionNum,
          ...(session.facts.alembicRevision ? {alembicRevision: session.facts.alembicRevision} : {}),
          ...(session.facts.installationId ? {installationId: session.facts.installationId} : {}),
        },
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        file: basename(path),
        finishedAt: finishedAt.toISOString(),
        kasmctlVersion: options.kasmctlVersion,
        manifestVersion: 1,
        options: {compression: options.compression, excludeLogs: Boolean(options.excludeLogs), format: options.format},
        pgDumpVersion,
        rowCounts,
        sha256: written.sha256,
        sizeBytes: written.bytes,
        startedAt: startedAt.toISOString(),
        via: endpoint.via,
      }
      await publish(path, manifest, options.dir)
    } finally {
      await session.close()
    }

    const plan = options.retention ? await applyRetention(options.dir, contextSlug(options.context.name), options.retention) : undefined
    for (const entry of plan?.damaged ?? []) event(damagedWarning(entry), 'warning')
    return {manifest, path, removed: plan?.remove ?? []}
  } finally {
    await lock.release()
  }
}

export interface BackupPlan {
  endpoint: PgEndpoint
  pgDumpVersion: string
  /** The file a backup started now would be written to. */
  path: string
  /** What retention would remove once that backup is complete (and the damaged backups it would leave alone). */
  retention?: RetentionPlan
}

/**
 * `backup create --dry-run`: every check a real run makes before dumping (destination, compressor,
 * pg_dump), the file it would write, and what its retention would remove, counting the new backup
 * as the newest good one. Takes no lock and writes nothing.
 */
export async function planBackup(options: CreateBackupOptions): Promise<BackupPlan> {
  await checkDestination(options.dir)
  requireCompressor(options.format, options.compression)
  const endpoint = await resolveEndpoint(options.context, options.via)
  const pgDumpVersion = await toolVersion(endpoint, 'pg_dump')
  const now = new Date()
  const file = backupFileName(options.context.name, now, options.format, options.compression)
  const path = join(options.dir, file)
  if (!options.retention) return {endpoint, path, pgDumpVersion}
  const slug = contextSlug(options.context.name)
  const upcoming: BackupEntry = {
    checksumChecked: false, complete: true, compression: options.compression, context: slug, createdAt: now, file, format: options.format, path, sizeBytes: 0, verified: true,
  }
  const retention = planRetention([upcoming, ...(await listBackups(options.dir, {checksums: options.retention.verify, context: slug}))], options.retention)
  return {endpoint, path, pgDumpVersion, retention: {...retention, keep: retention.keep.filter((entry) => entry !== upcoming)}}
}

/**
 * pg_dump's version and the snapshot session, asked at the same time (both wait on a process or
 * the server). A pg_dump that cannot run is reported first: no session result matters then.
 */
async function prepareDump(endpoint: PgEndpoint): Promise<{pgDumpVersion: string; session: SnapshotSession}> {
  const [version, session] = await Promise.allSettled([toolVersion(endpoint, 'pg_dump'), openSnapshotSession(endpoint)])
  if (version.status === 'rejected') {
    if (session.status === 'fulfilled') await session.value.close()
    throw version.reason
  }

  if (session.status === 'rejected') throw session.reason
  return {pgDumpVersion: version.value, session: session.value}
}

function dumpArgs(options: CreateBackupOptions, snapshot: string): string[] {
  return [
    options.format === 'tar' ? '-Ft' : '-Fc',
    // -C records CREATE DATABASE, as Kasm's db_backup does (`pg_dump -b -C -Ft`).
    '-b',
    '-C',
    ...dumpCompressionArgs(options.format, options.compression),
    `--snapshot=${snapshot}`,
    ...(options.excludeLogs ? ['--exclude-table-data=logs'] : []),
  ]
}

/** File names have one-second resolution: a second backup within the same second waits for the next one. */
async function freeTimestamp(options: CreateBackupOptions): Promise<Date> {
  for (;;) {
    const now = new Date()
    const name = backupFileName(options.context.name, now, options.format, options.compression)
    const taken = await stat(join(options.dir, name)).then(
      () => true,
      () => false,
    )
    if (!taken) return now
    await sleep(1000 - now.getMilliseconds())
  }
}

interface Written {
  bytes: number
  sha256: string
}

/**
 * pg_dump → [zstd | gzip] → <partial>. The last process of the chain writes straight into the file
 * (its stdout is the file), so the dump never passes through this process: memory stays flat
 * whatever the size, and no copy is added. The file is hashed as it grows (or after, for the custom
 * format), fsynced, and its table of contents read back with pg_restore --list before it may
 * become a backup.
 */
async function dumpToFile(endpoint: PgEndpoint, args: string[], options: CreateBackupOptions, partial: string): Promise<Written> {
  if (options.signal?.aborted) throw interrupted(options.signal)
  const call = toolInvocation(endpoint, 'pg_dump', args)
  const command = compressorCommand(options.format, options.compression)
  const tools: Child[] = []
  const stopAll = (): void => tools.forEach((tool) => tool.stop())
  options.signal?.addEventListener('abort', stopAll)
  try {
    const file = await open(partial, 'wx', 0o600)
    try {
      const dump = startChild('pg_dump', call.file, call.args, {env: call.env, stdio: ['ignore', command ? 'pipe' : file.fd, 'pipe']})
      tools.push(dump)
      if (command) {
        tools.push(startChild(command[0], command[0], command.slice(1), {stdio: [dump.process.stdout!, file.fd, 'pipe']}))
        dump.process.stdout!.destroy() // the compressor holds the pipe now
      }
    } finally {
      await file.close() // the children have their own descriptors
    }

    const allExited = Promise.all(tools.map((tool) => tool.exited))
    // Hash while the dump is written when the output only grows (overlaps the hashing with the dump).
    const appendOnly = options.format === 'tar' || command !== undefined
    const hashing = appendOnly ? sha256Appending(partial, allExited) : undefined
    hashing?.catch(() => undefined) // awaited below; a failed dump makes its result moot
    const flushing = flushWhileWriting(partial, allExited)
    const exits = await allExited
    if (options.signal?.aborted) throw interrupted(options.signal)

    if (tools.some((tool) => NO_SPACE.test(tool.stderrTail()))) throw destinationFull(options.dir)
    // pg_dump first: when it fails, the compressor merely sees the end of its input.
    const failed = tools.map((tool, i) => ({failure: failureOf(tool, exits[i]), tool})).find(({failure}) => failure)
    if (failed) throw new OperationError(`${failed.failure}; no backup was written`, {code: 'DUMP_FAILED', details: {stderr: failed.tool.stderrTail()}})

    await flushing
    // The file is complete: sync it, finish its hash and read it back at once (all three only read it).
    const synced = fsyncFile(partial).catch((error: NodeJS.ErrnoException) => {
      throw error.code === 'ENOSPC' ? destinationFull(options.dir) : error
    })
    const readBack = feedArchive({compression: options.compression, format: options.format, path: partial}, toolInvocation(endpoint, 'pg_restore', ['--list'], null), {
      list: true,
    }).catch((error: Error) => {
      throw new OperationError(`the new backup cannot be read back (${error.message}); no backup was written`, {code: 'VERIFY_FAILED'})
    })
    const hashed = hashing ?? sha256File(partial).then(async (sha256) => ({bytes: (await stat(partial)).size, sha256}))
    const [, , {bytes, sha256}] = await settleAll([synced, readBack, hashed])
    const size = (await stat(partial)).size
    if (bytes !== size) {
      throw new OperationError(`${partial} changed size while it was hashed (${bytes} of ${size} bytes); no backup was written`, {code: 'VERIFY_FAILED'})
    }

    return {bytes, sha256}
  } catch (error) {
    stopAll()
    await rm(partial, {force: true})
    throw error
  } finally {
    options.signal?.removeEventListener('abort', stopAll)
  }
}

/** Like Promise.all, but waits for every promise before throwing the first failure (in argument order): nothing is left running. */
async function settleAll<T extends readonly unknown[]>(promises: {[K in keyof T]: Promise<T[K]>}): Promise<T> {
  const results = await Promise.allSettled(promises)
  const failed = results.find((result) => result.status === 'rejected')
  if (failed) throw (failed as PromiseRejectedResult).reason
  return results.map((result) => (result as PromiseFulfilledResult<unknown>).value) as unknown as T
}

function interrupted(signal: AbortSignal): OperationError {
  return new OperationError(`interrupted (${String(signal.reason)}): pg_dump stopped, no backup was written, older backups untouched`, {code: 'INTERRUPTED'})
}

const NO_SPACE = /No space left on device|Disk quota exceeded/i

/**
 * Writes the file back to disk as it grows (an fdatasync every quarter second) so that the final
 * fsync has only the last moments left to flush: that wait then no longer adds to the backup's time.
 */
async function flushWhileWriting(path: string, writersDone: Promise<unknown>): Promise<void> {
  let done = false
  const finished = writersDone.then(
    () => (done = true),
    () => (done = true),
  )
  let handle: FileHandle | undefined
  try {
    handle = await open(path, 'r')
    while (!done) {
      await pauseUnless(250, finished)
      if (!done) await handle.datasync()
    }
  } catch {
    // only an early start of the final fsync, which reports any error
  } finally {
    await handle?.close()
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r')
  await handle.sync().finally(() => handle.close())
}

/**
 * Makes the backup visible: checksum and manifest first, then the rename of the data file, then an
 * fsync of the directory so the rename survives a crash. Until the rename there is only a .partial.
 */
async function publish(path: string, manifest: BackupManifest, dir: string): Promise<void> {
  try {
    await writeChecksumFile(path, manifest.sha256)
    await writeManifest(path, manifest)
    await rename(`${path}${PARTIAL_SUFFIX}`, path)
    await fsyncFile(dir)
  } catch (error) {
    await removeBackup(path)
    await rm(`${path}${PARTIAL_SUFFIX}`, {force: true})
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOSPC') throw destinationFull(dir)
    throw new OperationError(`cannot finish the backup in ${dir} (${code ?? (error as Error).message}): no backup was written`, {code: 'FAILED', cause: error})
  }
}
