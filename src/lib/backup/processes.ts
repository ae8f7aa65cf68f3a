import {UnavailableError} from '../errors.js'
import {findExecutable} from '../process/children.js'
import type {BackupCompression, BackupFormat} from './naming.js'

/**
 * The compressor pg_dump's stdout goes through. zstd -3 measured 3.6× faster than `pg_dump -Fc`'s
 * gzip-6 at 0.95× its size (performance-notes.md §2). gzip with the custom format is pg_dump's own
 * -Z1 (measured 2.1×), so no process: see dumpCompressionArgs.
 */
export function compressorCommand(format: BackupFormat, compression: BackupCompression): string[] | undefined {
  if (compression === 'zstd') return ['zstd', '-3', '-q', '-c']
  if (compression === 'gzip' && format === 'tar') return ['gzip', '-1', '-c']
  return undefined
}

/** pg_dump's own compression flag: only the custom format compresses internally (-Z1 for gzip, -Z0 when zstd follows or none is asked). */
export function dumpCompressionArgs(format: BackupFormat, compression: BackupCompression): string[] {
  if (format !== 'custom') return []
  return ['-Z', compression === 'gzip' ? '1' : '0']
}

/** How to read a backup back as a plain archive; undefined when pg_restore reads the file directly. */
export function decompressorCommand(format: BackupFormat, compression: BackupCompression, path: string): string[] | undefined {
  if (compression === 'zstd') return ['zstd', '-d', '-q', '-c', path]
  if (compression === 'gzip' && format === 'tar') return ['gzip', '-d', '-c', path]
  return undefined
}

/** The default compression: zstd when its binary is installed, else gzip (level 1). */
export function defaultCompression(env: NodeJS.ProcessEnv = process.env): BackupCompression {
  return findExecutable('zstd', env) ? 'zstd' : 'gzip'
}

/** A compression that needs a binary fails early, naming it, when the binary is missing. */
export function requireCompressor(format: BackupFormat, compression: BackupCompression): void {
  const command = compressorCommand(format, compression)
  if (command && !findExecutable(command[0])) {
    throw new UnavailableError(`--compress ${compression} needs the \`${command[0]}\` program, which is not on PATH`, {
      hint: `install it (apt-get install ${command[0]}), or choose another --compress`,
    })
  }
}
