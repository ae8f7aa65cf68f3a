import {mkdir, rename} from 'node:fs/promises'
import {join} from 'node:path'

import {dataDir} from '../config/paths.js'
import type {HostEntry} from '../config/types.js'
import {OperationError} from '../errors.js'
import {writeFileAtomic} from '../fs-util.js'
import {readFileIfExists} from '../fs-util.js'

/**
 * The journal of a `host zone-name` run, so that a run killed at any point (kill -9, lost SSH, power)
 * can be resumed or rolled back. It is written (fsynced, renamed into place) BEFORE each step, so it
 * always names the step that may have been in flight. One per context: an unfinished journal blocks
 * a new run. A finished one is kept beside it for the record.
 */

/** The steps of one host, in order. */
export const HOST_STEPS = ['backup', 'stop', 'edit', 'start', 'verify'] as const
export type HostStep = (typeof HOST_STEPS)[number]
/** The steps that put a host back: stop, restore the backups, start, verify in the old zone. */
export const ROLLBACK_STEPS = ['stop', 'restore', 'start', 'verify'] as const
export type RollbackStep = (typeof ROLLBACK_STEPS)[number]

export interface JournalFile {
  path: string
  key: string
  keyPath: string[]
  /** The value before the change (what a rollback restores). */
  from: string
  to: string
  /** Where the copy of the original file goes, beside it (named when the run starts, made by the backup step). */
  backup: string
}

/**
 * pending: not touched · running: steps under way · done: verified in the new zone · failed: a step
 * failed and the file and services could not be restored · rolled-back: restored to the old zone.
 */
export type HostState = 'done' | 'failed' | 'pending' | 'rolled-back' | 'running'

export interface JournalHost {
  /** The inventory entry as it was when the run started (with the resolved install root). */
  host: HostEntry
  kasmRoot: string
  files: JournalFile[]
  /** How Kasm names this web app's manager: manager.manager_id and server.server_hostname from its config. */
  manager: {id: null | string; hostnames: string[]}
  state: HostState
  /** Steps completed, in order. */
  stepsDone: HostStep[]
  /** The step begun and not (yet) completed: it may or may not have happened. */
  inFlight: HostStep | null
  /** The rollback step begun and not completed, while this host is being put back. */
  rollbackInFlight: RollbackStep | null
  /** Set before bin/stop runs, cleared when bin/start has succeeded: the host may not be serving. */
  servicesMayBeStopped: boolean
  error: null | string
}

/** running: under way (or killed) · failed: stopped on a failure · rolling-back: a rollback under way (or killed). */
export type OperationState = 'failed' | 'rolling-back' | 'running'

export interface ZoneNameJournal {
  version: 1
  operation: 'host zone-name'
  context: string
  zone: string
  createZone: boolean
  timeoutMs: number
  startedAt: string
  updatedAt: string
  /** Process that wrote it last, for messages. */
  pid: number
  state: OperationState
  hosts: JournalHost[]
}

export class Journal {
  constructor(
    readonly path: string,
    readonly data: ZoneNameJournal,
  ) {}

  /** Persists the journal (atomic, fsynced). Call before acting on what it says. */
  async save(): Promise<void> {
    this.data.updatedAt = new Date().toISOString()
    this.data.pid = process.pid
    await writeFileAtomic(this.path, `${JSON.stringify(this.data, null, 2)}\n`, 0o600)
  }

  /** Moves the finished journal aside (kept for the record); the next run starts fresh. */
  async archive(outcome: 'done' | 'rolled-back'): Promise<string> {
    const stamp = this.data.startedAt.replaceAll(/[:.]/g, '')
    const archived = this.path.replace(/\.json$/, `.${stamp}.${outcome}.json`)
    await this.save()
    await rename(this.path, archived)
    return archived
  }
}

/** `<data dir>/operations/host-zone-name.<context>.json` */
export function journalPath(context: string, env: NodeJS.ProcessEnv = process.env): string {
  return join(dataDir(env), 'operations', `host-zone-name.${context.replaceAll(/[^\w.@-]/g, '_')}.json`)
}

/** The unfinished journal of this context, or undefined. */
export async function readJournal(path: string): Promise<Journal | undefined> {
  const text = await readFileIfExists(path)
  if (text === undefined) return undefined

  try {
    const data = JSON.parse(text) as ZoneNameJournal
    if (data.version !== 1 || data.operation !== 'host zone-name') throw new Error('unknown journal format')
    return new Journal(path, data)
  } catch (error) {
    throw new OperationError(`the operation journal ${path} cannot be read: ${(error as Error).message}`, {
      hint: 'restore the hosts by hand from their *.kasmctl-*.bak files, then move the journal away',
    })
  }
}

export async function createJournal(path: string, data: Omit<ZoneNameJournal, 'operation' | 'pid' | 'updatedAt' | 'version'>): Promise<Journal> {
  await mkdir(join(path, '..'), {mode: 0o700, recursive: true})
  const journal = new Journal(path, {...data, operation: 'host zone-name', pid: process.pid, updatedAt: data.startedAt, version: 1})
  await journal.save()
  return journal
}

/** One line per host for messages: `webapp-1 done; webapp-2 interrupted during start (services may be stopped)`. */
export function describeHostStates(journal: ZoneNameJournal): string {
  return journal.hosts.map((host) => `${host.host.name} ${describeHostState(host)}`).join('; ')
}

export function describeHostState(host: JournalHost): string {
  const stopped = host.servicesMayBeStopped ? ' (its Kasm services may be stopped)' : ''
  if (host.state === 'failed') return `failed${host.error ? `: ${host.error}` : ''}${stopped}`
  if (host.rollbackInFlight) return `interrupted while being rolled back (during ${host.rollbackInFlight})${stopped}`
  if (host.state === 'running' && host.inFlight) return `interrupted during ${host.inFlight}${stopped}`
  if (host.state === 'running') return `interrupted after ${host.stepsDone.at(-1) ?? 'nothing'}${stopped}`
  return host.state
}
