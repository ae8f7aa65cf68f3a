import {mkdirSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {homedir} from 'node:os'
import {dirname, join} from 'node:path'

/**
 * kasmctl's disposable caches: `$XDG_CACHE_HOME/kasmctl`, by default `~/.cache/kasmctl` (bin/run.js,
 * which cannot import this, names the same directory for Node's compile cache). Synchronous: they
 * are read and written on the start-up path and at exit.
 */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return join(env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kasmctl')
}

/** Writes a cache file whole or not at all (a temporary file renamed over it); false when it cannot be written. */
export function writeCacheFile(file: string, data: string | Uint8Array): boolean {
  try {
    mkdirSync(dirname(file), {mode: 0o700, recursive: true})
  } catch {
    return false // read-only, or not a directory
  }

  const temporary = `${file}.${process.pid}.tmp`
  try {
    writeFileSync(temporary, data, {mode: 0o600})
    renameSync(temporary, file)
    return true
  } catch {
    rmSync(temporary, {force: true})
    return false
  }
}
