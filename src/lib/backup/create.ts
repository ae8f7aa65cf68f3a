import {createWriteStream} from 'node:fs'
import {open, rename, rm, stat} from 'node:fs/promises'
import {join} from 'node:path'
import {pipeline} from 'node:stream/promises'
import {setTimeout as sleep} from 'node:timers/promises'

import type {ContextConfig} from '../config/types.js'
import {isKasmctlError, OperationError} from '../errors.js'
import {HashingStream, sha256File, writeChecksumFile} from './checksum.js'
import {checkDestination, lockBackupDir, removeLeftovers} from './destination.js'
import {type BackupManifest, writeManifest} from './manifest.js'
import {type BackupCompression, type BackupFormat, backupFileName, contextSlug, PARTIAL_SUFFIX} from './naming.js'
import {checkPgDumpVersion, KEY_TABLES, openSnapshotSession, type PgEndpoint, resolveEndpoint, toolInvocation, toolVersion, type Via} from './pg-tools.js'
import {compressorCommand, dumpCompressionArgs, failureOf, requireCompressor, startTool, stopTool, type Tool} from './processes.js'
import {applyRetention, removeBackup, type RetentionDecision, type RetentionPolicy} from './retention.js'

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
 * `<name>.partial`, hashed on the way, fsynced, re-hashed from disk, its .sha256 and manifest written,
 * then renamed into place: a failure or kill at any point leaves no file that looks complete.
 */
export async function createBackup(options: CreateBackupOptions): Promise<CreateBackupResult> {
  const event = options.onEvent ?? (() => undefined)
  await checkDestination(options.dir)
  requireCompressor(options.format, options.compression)
  const lock = await lockBackupDir(options.dir, 'backup create', (message) => event(message, 'warning'))
  try {
    for (const leftover of await removeLeftovers(options.dir)) event(`removed ${leftover}, left by an interrupted run`, 'warning')
    const endpoint = await resolveEndpoint(options.context, options.via)
    const pgDumpVersion = await toolVersion(endpoint, 'pg_dump')
    event(`connecting to ${endpoint.description}`, 'progress')
    const session = await openSnapshotSession(options.context, endpoint, KEY_TABLES)
    let manifest: BackupManifest
    let path: string
    try {
      checkPgDumpVersion(pgDumpVersion, session.info.serverVersion, session.info.serverVersionNum, endpoint.via)
      const startedAt = await freeTimestamp(options)
      path = join(options.dir, backupFileName(options.context.name, startedAt, options.format, options.compression))
      event(`dumping ${endpoint.database} (PostgreSQL ${session.info.serverVersion}) to ${path}`, 'progress')
      const written = await dumpToFile(endpoint, dumpArgs(options, session.snapshot), options, `${path}${PARTIAL_SUFFIX}`)
      const finishedAt = new Date()
      const rowCounts = {...session.info.rowCounts}
      if (options.excludeLogs) delete rowCounts.logs
      manifest = {
        context: options.context.name,
        database: {
          name: endpoint.database,
          serverVersion: session.info.serverVersion,
          serverVersionNum: session.info.serverVersionNum,
          ...(session.info.alembicRevision ? {alembicRevision: session.info.alembicRevision} : {}),
          ...(session.info.installationId ? {installationId: session.info.installationId} : {}),
        },
        durationMs: finishedAt.getTime() - startedAt.getTime(),
        file: `${path.slice(options.dir.length + 1)}`,
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

    const removed = options.retention ? (await applyRetention(options.dir, contextSlug(options.context.name), options.retention)).remove : []
    return {manifest, path, removed}
  } finally {
    await lock.release()
  }
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

/** pg_dump → [compressor] → hash → <partial>; the data never sits in this process's memory beyond stream buffers. */
async function dumpToFile(endpoint: PgEndpoint, args: string[], options: CreateBackupOptions, partial: string): Promise<Written> {
  const call = toolInvocation(endpoint, 'pg_dump', args)
  const file = createWriteStream(partial, {flags: 'wx', highWaterMark: 1024 * 1024, mode: 0o600})
  let dump: Tool | undefined
  let compressor: Tool | undefined
  try {
    dump = startTool('pg_dump', call.file, call.args, {env: call.env, stdio: ['ignore', 'pipe', 'pipe']})
    const command = compressorCommand(options.format, options.compression)
    if (command) {
      // The compressor reads pg_dump's stdout pipe directly: the bytes never pass through Node.
      compressor = startTool(command[0], command[0], command.slice(1), {stdio: [dump.child.stdout!, 'pipe', 'pipe']})
      dump.child.stdout!.destroy()
    }

    const hashing = new HashingStream()
    const source = (compressor ?? dump).child.stdout!
    try {
      await pipeline(source, hashing, file, {signal: options.signal})
    } catch (error) {
      stopTool(dump)
      stopTool(compressor)
      throw streamError(error, options, dump, await dump.exited)
    }

    for (const tool of [dump, compressor]) {
      if (!tool) continue
      const failure = failureOf(tool, await tool.exited)
      if (failure) throw new OperationError(`${failure}; no backup was written`, {code: 'DUMP_FAILED', details: {stderr: tool.stderrTail()}})
    }

    await fsyncFile(partial)
    const sha256 = hashing.digest()
    const onDisk = await sha256File(partial)
    if (onDisk !== sha256) {
      throw new OperationError(`the backup read back from ${partial} does not match what was written (sha256 ${onDisk} vs ${sha256}); no backup was kept`, {
        code: 'VERIFY_FAILED',
        hint: 'check the destination file system and disk',
      })
    }

    return {bytes: hashing.bytes, sha256}
  } catch (error) {
    stopTool(dump)
    stopTool(compressor)
    file.destroy()
    await rm(partial, {force: true})
    throw error
  }
}

async function fsyncFile(path: string): Promise<void> {
  const handle = await open(path, 'r')
  await handle.sync().finally(() => handle.close())
}

function streamError(error: unknown, options: CreateBackupOptions, dump: Tool, dumpExit: {signal: NodeJS.Signals | null}): Error {
  if (isKasmctlError(error)) return error
  const code = (error as NodeJS.ErrnoException).code
  if (options.signal?.aborted) {
    return new OperationError(`interrupted (${String(options.signal.reason ?? 'aborted')}): pg_dump stopped, no backup was written, older backups untouched`, {code: 'INTERRUPTED'})
  }

  if (code === 'ENOSPC' || code === 'EDQUOT') {
    return new OperationError(`no space left in ${options.dir}: the dump was abandoned, no backup was written, older backups untouched`, {
      code: 'DEST_FULL',
      hint: 'free space there (e.g. `kasmctl backup prune --keep N`), use --exclude-logs, or choose another --dest',
    })
  }

  const dumpFailure = dumpExit.signal ? `pg_dump was killed by ${dumpExit.signal}` : failureOf(dump, {code: 1, signal: null})
  return new OperationError(`writing the backup failed (${code ?? (error as Error).message}${dumpFailure ? `; ${dumpFailure}` : ''}): no backup was written`, {cause: error})
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
    throw new OperationError(`cannot finish the backup in ${dir} (${code ?? (error as Error).message}): no backup was written`, {
      code: code === 'ENOSPC' ? 'DEST_FULL' : 'FAILED',
      cause: error,
    })
  }
}
