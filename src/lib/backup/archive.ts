import {open} from 'node:fs/promises'

import {OperationError} from '../errors.js'
import type {BackupCompression, BackupFormat} from './naming.js'
import type {ToolInvocation} from './pg-tools.js'
import {type Child, failureOf, startChild} from '../process/children.js'
import {decompressorCommand} from './processes.js'

export interface ArchiveSource {
  path: string
  format: BackupFormat
  compression: BackupCompression
}

/**
 * Feeds a backup to pg_restore (local or `docker exec -i kasm_db pg_restore`) on its stdin,
 * decompressing on the fly: zstd/gzip read the file and their stdout is pg_restore's stdin, so
 * the archive never passes through this process. With `list` (pg_restore --list), returns its stdout.
 */
/** A decompressor's write to a reader that has gone, as it reports it (Node's stdio pipes are sockets: a reset, not only EPIPE). */
const BROKEN_OUTPUT = /Broken pipe|Connection reset by peer/i

export async function feedArchive(source: ArchiveSource, call: ToolInvocation, options: {list?: boolean} = {}): Promise<string> {
  const command = decompressorCommand(source.format, source.compression, source.path)
  let decompressor: Child | undefined
  const file = command ? undefined : await open(source.path, 'r')
  if (command) decompressor = startChild(command[0], command[0], command.slice(1), {stdio: ['ignore', 'pipe', 'pipe']})
  const input = decompressor ? decompressor.process.stdout! : file!.fd

  let restore: Child
  try {
    restore = startChild('pg_restore', call.file, call.args, {env: call.env, stdio: [input, options.list ? 'pipe' : 'ignore', 'pipe']})
  } finally {
    decompressor?.process.stdout?.destroy()
    await file?.close()
  }

  let stdout = ''
  restore.process.stdout?.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  const restoreExit = await restore.exited
  // pg_restore may stop reading early (an error): the decompressor then gets EPIPE, which is not the cause.
  const restoreFailure = failureOf(restore, restoreExit)
  if (restoreFailure) {
    decompressor?.stop()
    throw new OperationError(restoreFailure, {code: 'RESTORE_FAILED', details: {stderr: restore.stderrTail()}})
  }

  // pg_restore --list reads only the archive's table of contents and closes its input early, and a
  // restore of a tar archive may leave its trailing blocks unread: once pg_restore has succeeded, the
  // decompressor failing only to write to it (a broken pipe) is normal. Any other failure is damage.
  if (options.list) decompressor?.stop()
  else if (decompressor) {
    const exit = await decompressor.exited
    const failure = failureOf(decompressor, exit)
    const brokenOutput = exit.signal === 'SIGPIPE' || BROKEN_OUTPUT.test(decompressor.stderrTail())
    if (failure && !brokenOutput) throw new OperationError(`${failure} (the file is damaged)`, {code: 'ARCHIVE_DAMAGED'})
  }

  return stdout
}
