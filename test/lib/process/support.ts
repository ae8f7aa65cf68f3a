/** Helpers of the child-process and lock tests. */
import {type ChildProcess, spawn, spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {procStat} from '../../../src/lib/process/proc.js'
import {waitFor} from '../../commands/backup/support.js'

const HOLDER = fileURLToPath(new URL('holder.ts', import.meta.url))

/** Runs holder.ts (a stand-in kasmctl run) and resolves once its child has started. */
export async function startHolder(lock: string, then: 'exit' | 'wait', command: string[]): Promise<{holder: ChildProcess; child: number}> {
  const holder = spawn(process.execPath, ['--import', 'tsx', HOLDER, lock, then, ...command], {stdio: ['ignore', 'pipe', 'inherit']})
  let out = ''
  holder.stdout!.setEncoding('utf8').on('data', (chunk: string) => (out += chunk))
  const child = await waitFor('the holder to start its child', () => (out.includes('\n') ? (JSON.parse(out.split('\n')[0]).child as number) : undefined))
  return {child, holder}
}

/** The process runs: it exists and is not a zombie (here pid 1 may be slow to reap orphans). */
export function running(pid: number): boolean {
  const state = procStat(pid)?.state
  return state !== undefined && state !== 'Z'
}

/** A pid that ran a moment ago and no longer does: the owner of what a killed run left behind. */
export function deadPid(): number {
  return Number(spawnSync('sh', ['-c', 'echo $$'], {encoding: 'utf8'}).stdout.trim())
}
