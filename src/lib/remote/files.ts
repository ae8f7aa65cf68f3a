import type {HostEntry} from '../config/types.js'
import {OperationError} from '../errors.js'
import {describeHost, isRemoteHost, runOnHost, type RunOptions} from './run.js'

/**
 * File access on a host, local or over SSH, through small POSIX sh scripts run with runOnHost. The
 * scripts are constants and paths travel as positional parameters ("$1"), so a path is never parsed
 * as shell code. `sudo` is asked for: Kasm's files under /opt/kasm belong to kasm:kasm or root.
 */

export interface HostFileStat {
  path: string
  uid: number
  gid: number
  /** Owner and group names (UNKNOWN when the id has no name). */
  owner: string
  group: string
  /** Permission bits, e.g. 0o644. */
  mode: number
  size: number
}

/** Exit code the scripts use for "no such file", so it is told apart from other failures. */
const MISSING = 3

const READ_SCRIPT = '[ -e "$1" ] || exit 3; exec cat -- "$1"'
const STAT_SCRIPT = `[ -e "$1" ] || exit 3; exec stat -L -c '%u:%g:%a:%s:%U:%G' -- "$1"`
/**
 * Atomic replace: write a temp file beside the target, give it the target's owner and mode (or
 * $2 for a new file), fsync, rename over the target. A crash leaves the old file or the new one.
 */
const WRITE_SCRIPT = `set -e
dir=$(dirname -- "$1")
tmp=$(mktemp "$dir/.kasmctl.XXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cat > "$tmp"
if [ -e "$1" ]; then
  chown --reference="$1" -- "$tmp"
  chmod --reference="$1" -- "$tmp"
else
  chmod "$2" -- "$tmp"
fi
sync -- "$tmp" 2>/dev/null || sync
mv -f -- "$tmp" "$1"
trap - EXIT`
/**
 * Copy keeping owner and timestamps, through a temp file renamed into place: the copy either
 * exists whole or not at all. Mode 0600 whatever the original's: the copies are of Kasm's config
 * files, which hold its auth and registration tokens (0644 on a default install).
 * Fails rather than overwrite an existing target.
 */
const COPY_SCRIPT = `set -e
[ -e "$1" ] || exit 3
[ ! -e "$2" ] || { echo "$2 already exists" >&2; exit 1; }
tmp=$(mktemp "$(dirname -- "$2")/.kasmctl.XXXXXXXX")
trap 'rm -f -- "$tmp"' EXIT
cp -p -- "$1" "$tmp"
chmod 600 -- "$tmp"
sync -- "$tmp" 2>/dev/null || sync
mv -f -- "$tmp" "$2"
trap - EXIT`

async function runScript(host: HostEntry, script: string, args: string[], options: RunOptions = {}) {
  return runOnHost(host, ['sh', '-c', script, 'sh', ...args], {sudo: true, ...options})
}

function failure(host: HostEntry, what: string, stderr: string): OperationError {
  return new OperationError(`cannot ${what} on host ${describeHost(host)}: ${stderr.trim() || 'unknown error'}`, {
    details: {host: host.name},
    hint: isRemoteHost(host) ? 'the ssh user needs root or passwordless sudo' : 'run kasmctl as root (or as the owner of the Kasm files)',
  })
}

/** The file's content, or undefined when it does not exist. */
export async function readHostFile(host: HostEntry, path: string): Promise<string | undefined> {
  const result = await runScript(host, READ_SCRIPT, [path])
  if (result.exitCode === MISSING) return undefined
  if (result.exitCode !== 0) throw failure(host, `read ${path}`, result.stderr)
  return result.stdout
}

/** Owner, mode and size (following symlinks), or undefined when the file does not exist. */
export async function statHostFile(host: HostEntry, path: string): Promise<HostFileStat | undefined> {
  const result = await runScript(host, STAT_SCRIPT, [path])
  if (result.exitCode === MISSING) return undefined
  if (result.exitCode !== 0) throw failure(host, `stat ${path}`, result.stderr)
  const [uid, gid, mode, size, owner, group] = result.stdout.trim().split(':')
  return {gid: Number(gid), group, mode: Number.parseInt(mode, 8), owner, path, size: Number(size), uid: Number(uid)}
}

/**
 * Replaces a file atomically. An existing file keeps its owner and mode (kasm:kasm 644 stays so);
 * a new file gets `mode` (default 0644) and the running user.
 */
export async function writeHostFile(host: HostEntry, path: string, content: string, options: {mode?: number} = {}): Promise<void> {
  const mode = (options.mode ?? 0o644).toString(8)
  const result = await runScript(host, WRITE_SCRIPT, [path, mode], {input: content})
  if (result.exitCode !== 0) throw failure(host, `write ${path}`, result.stderr)
}

/** Copies a file keeping owner and timestamps, mode 0600 (for backups of files that hold secrets), atomically. Refuses to overwrite `to`. */
export async function copyHostFile(host: HostEntry, from: string, to: string): Promise<void> {
  const result = await runScript(host, COPY_SCRIPT, [from, to])
  if (result.exitCode === MISSING) throw failure(host, `copy ${from}`, 'no such file')
  if (result.exitCode !== 0) throw failure(host, `copy ${from} to ${to}`, result.stderr)
}

/** Where a path leads after every symlink (`readlink -f`), or undefined when it does not exist. */
export async function resolveHostPath(host: HostEntry, path: string): Promise<string | undefined> {
  const result = await runScript(host, '[ -e "$1" ] || exit 3; exec readlink -f -- "$1"', [path])
  if (result.exitCode === MISSING) return undefined
  if (result.exitCode !== 0) throw failure(host, `resolve ${path}`, result.stderr)
  return result.stdout.trim()
}
