import type {HostEntry} from '../config/types.js'
import {AuthError, OperationError} from '../errors.js'
import {describeHost, isRemoteHost, readHostFile, runOnHost} from '../remote/index.js'
import {confAppDir, keyName, scriptPath, type ZoneKey, zoneKeysOf} from './layout.js'
import {readYamlScalar, YamlEditError} from './yaml-edit.js'

/** One file that carries the host's zone, as read from the host. */
export interface ZoneFile {
  key: ZoneKey
  path: string
  /** The file's text; undefined when the file does not exist on this host (it is skipped). */
  content?: string
  /** The zone it names; undefined when the file or the key is missing. */
  value?: string
}

/** Reads every zone file the host's roles call for. Missing files come back without content. */
export async function readZoneFiles(host: HostEntry, root: string): Promise<ZoneFile[]> {
  const files: ZoneFile[] = []
  for (const key of zoneKeysOf(host)) {
    const path = `${confAppDir(root)}/${key.file}`
    // One at a time: over SSH each read is a connection, and a host rarely has more than three files.
    const content = await readHostFile(host, path)
    files.push({content, key, path, value: content === undefined ? undefined : zoneValue(host, path, content, key)})
  }

  return files
}

export function zoneValue(host: HostEntry, path: string, content: string, key: ZoneKey): string | undefined {
  try {
    return readYamlScalar(content, key.keyPath)
  } catch (error) {
    if (error instanceof YamlEditError) throw new OperationError(`${path} on host ${describeHost(host)}: ${error.message} (${keyName(key)})`)
    throw error
  }
}

/**
 * Checks, before anything is stopped, that kasmctl may do the work on this host: the start/stop
 * scripts exist and the config directory is writable (as root, through sudo -n over SSH).
 */
export async function checkHostWritable(host: HostEntry, root: string): Promise<void> {
  const conf = confAppDir(root)
  const script = `for s in "$2" "$3"; do [ -x "$s" ] || { echo "$s is missing or not executable" >&2; exit 4; }; done
[ -w "$1" ] || { echo "$1 is not writable by $(id -un)" >&2; exit 5; }`
  const result = await runOnHost(host, ['sh', '-c', script, 'sh', conf, scriptPath(root, 'stop'), scriptPath(root, 'start')], {sudo: true})
  if (result.exitCode === 0) return
  const reason = result.stderr.trim().split('\n').at(-1) ?? `exit ${result.exitCode}`
  if (result.exitCode === 4) {
    throw new OperationError(`host ${describeHost(host)}: ${reason}`, {hint: `is Kasm installed under ${root}? Give the install root with --kasm-root DIR`})
  }

  throw new AuthError(`host ${describeHost(host)}: ${reason}`, {
    hint: isRemoteHost(host) ? 'connect as root, or as a user with passwordless sudo (sudo -n)' : `kasmctl edits ${root} locally: run it as root (sudo kasmctl ...)`,
  })
}
