import {readdir, rm} from 'node:fs/promises'
import {join} from 'node:path'

import {dataDir} from '../config/paths.js'
import {writeFileAtomic} from '../fs-util.js'
import {readFileIfExists} from '../fs-util.js'

/**
 * kasmctl's local record of why and how it took an agent out of service. Kasm has no field for a
 * reason, so `--reason`, the drain deadline (for `drain --monitor`) and who disabled the agent live
 * here: <data dir>/drains/<context>/<agent id>.json. `agent enable` removes the record.
 */
export interface DisableRecord {
  version: 1
  context: string
  agentId: string
  hostname: string
  zoneName?: null | string
  reason?: string
  /** The kasmctl command that disabled the agent. */
  by: 'disable' | 'drain' | 'rotate'
  disabledAt: string
  drain?: DrainRecord
}

export interface DrainRecord {
  startedAt: string
  deadlineAt: string
  /** Destroy the sessions left at the deadline. */
  force: boolean
  status: 'drained' | 'draining' | 'failed' | 'timed-out'
  updatedAt: string
  sessionsLeft?: number
}

/** Context names become file names: keep them to a safe alphabet, and never `.` or `..` (a directory outside). */
export function safeName(name: string): string {
  return name.replaceAll(/[^\w.-]/g, '_').replace(/^\./, '_')
}

function drainsDir(context: string): string {
  return join(dataDir(), 'drains', safeName(context))
}

export async function readDisableRecord(context: string, agentId: string): Promise<DisableRecord | undefined> {
  return readJson<DisableRecord>(join(drainsDir(context), `${agentId}.json`))
}

/** Every record of the context, by agent id. */
export async function listDisableRecords(context: string): Promise<Map<string, DisableRecord>> {
  const records = new Map<string, DisableRecord>()
  let files: string[]
  try {
    files = await readdir(drainsDir(context))
  } catch {
    return records
  }

  for (const file of files.filter((f) => f.endsWith('.json'))) {
    const record = await readJson<DisableRecord>(join(drainsDir(context), file))
    if (record) records.set(record.agentId, record)
  }

  return records
}

export async function writeDisableRecord(record: DisableRecord): Promise<void> {
  await writeFileAtomic(join(drainsDir(record.context), `${record.agentId}.json`), `${JSON.stringify(record, null, 2)}\n`)
}

export async function removeDisableRecord(context: string, agentId: string): Promise<void> {
  await rm(join(drainsDir(context), `${agentId}.json`), {force: true})
}

/** Updates the drain part of a record, if the record still exists. */
export async function updateDrainRecord(context: string, agentId: string, patch: Partial<DrainRecord>): Promise<void> {
  const record = await readDisableRecord(context, agentId)
  if (!record?.drain) return
  await writeDisableRecord({...record, drain: {...record.drain, ...patch, updatedAt: new Date().toISOString()}})
}

export async function readJson<T>(path: string): Promise<T | undefined> {
  const text = await readFileIfExists(path)
  if (text === undefined) return undefined

  return JSON.parse(text) as T
}
