import {rm} from 'node:fs/promises'
import {join} from 'node:path'

import {dataDir} from '../config/paths.js'
import {ConfigError} from '../errors.js'
import {writeFileAtomic} from '../fs-util.js'
import type {SandboxState} from './contract.js'
import {readFileIfExists} from '../fs-util.js'
import {procStat} from '../process/proc.js'

/** `$KASMCTL_SANDBOX_DIR`, else `$XDG_DATA_HOME/kasmctl/sandbox`. */
export function sandboxDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.KASMCTL_SANDBOX_DIR || join(dataDir(env), 'sandbox')
}

export const statePath = (dir: string): string => join(dir, 'state.json')

/** The sandbox's state, or undefined when it was never started (or was purged). */
export async function readState(dir: string): Promise<SandboxState | undefined> {
  const text = await readFileIfExists(statePath(dir))
  if (text === undefined) return undefined

  try {
    return JSON.parse(text) as SandboxState
  } catch {
    throw new ConfigError(`sandbox state file ${statePath(dir)} is not valid JSON`, {
      hint: 'run `kasmctl sandbox down --purge` and `kasmctl sandbox up` to start afresh',
    })
  }
}

export async function writeState(state: SandboxState): Promise<void> {
  await writeFileAtomic(statePath(state.dir), `${JSON.stringify(state, null, 2)}\n`, 0o600)
}

export async function removeState(dir: string): Promise<void> {
  await rm(statePath(dir), {force: true})
}

/**
 * True when a process with this pid exists and is not a zombie (signal 0 probes without
 * signalling; an exited daemon stays a zombie until init reaps it).
 */
export function processAlive(pid: number | undefined): boolean {
  if (!pid) return false
  try {
    process.kill(pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }

  // No /proc (not Linux): trust the signal probe.
  return procStat(pid)?.state !== 'Z'
}
