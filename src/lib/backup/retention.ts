import {rm} from 'node:fs/promises'

import type {BackupConfig} from '../config/types.js'
import {DAY_MS, formatDuration} from '../duration.js'
import {UsageError} from '../errors.js'
import {type BackupEntry, listBackups} from './catalog.js'
import {checksumPath} from './checksum.js'
import {manifestPath} from './manifest.js'

/**
 * pg_back-style retention: remove backups beyond the newest `keep`, and those older than `keepAgeMs`,
 * but never the newest `minKeep` verified ones (so a run of failed backups cannot age out the last
 * good ones). Damaged backups take no place in `keep` and never count towards `minKeep`.
 */
export interface RetentionPolicy {
  keep?: number
  /** --keep-age (or the context's backup.keepDays), in milliseconds. */
  keepAgeMs?: number
  minKeep: number
  /** Hash every backup before deciding (--verify); otherwise only the cheap checks (listBackups). */
  verify?: boolean
}

export interface RetentionDecision {
  entry: BackupEntry
  /** Why it goes, e.g. "beyond --keep 7", "older than 14 days" or "older than 1d12h". */
  reason: string
}

export interface RetentionPlan {
  keep: BackupEntry[]
  remove: RetentionDecision[]
  /** Complete backups that failed a check: left in place for the operator, and counted for nothing. */
  damaged: BackupEntry[]
}


/** Flags override the context's `backup:` settings; undefined when no rule is set at all. Rejects nonsense (exit 64). */
export function retentionPolicy(flags: {keep?: number; keepAgeMs?: number; minKeep?: number; verify?: boolean}, config: BackupConfig | undefined): RetentionPolicy | undefined {
  const keep = flags.keep ?? config?.keep
  const minKeep = flags.minKeep ?? config?.minKeep ?? 1
  // --keep-age is checked when parsed (a duration in its range); the context's keepDays here.
  const configDays = flags.keepAgeMs === undefined ? config?.keepDays : undefined
  const keepAgeMs = flags.keepAgeMs ?? (configDays === undefined ? undefined : configDays * DAY_MS)
  const source = (flag: number | undefined, name: string, key: string): string => (flag === undefined ? `backup.${key} in the context` : `--${name}`)
  for (const [value, flag, name, key] of [
    [keep, flags.keep, 'keep', 'keep'],
    [configDays, undefined, 'keep-age', 'keepDays'],
    [minKeep, flags.minKeep, 'min-keep', 'minKeep'],
  ] as const) {
    if (value !== undefined && (!Number.isInteger(value) || value < 1)) {
      throw new UsageError(`${source(flag, name, key)} ${value} is not valid: it must be a whole number of at least 1`, {
        hint: name === 'keep' ? 'to keep every backup, leave --keep unset' : undefined,
      })
    }
  }

  if (keep !== undefined && keep < minKeep) {
    throw new UsageError(`${source(flags.keep, 'keep', 'keep')} ${keep} is below ${source(flags.minKeep, 'min-keep', 'minKeep')} ${minKeep}`, {
      hint: 'min-keep is the floor retention never goes below: raise --keep or lower --min-keep',
    })
  }

  if (keep === undefined && keepAgeMs === undefined) return undefined
  return {keep, keepAgeMs, minKeep, ...(flags.verify ? {verify: true} : {})}
}

/** "14 days" for whole days (the JSON reason kept from --keep-days), else the duration ("1d12h"). */
function describeAge(ms: number): string {
  return ms % DAY_MS === 0 ? `${ms / DAY_MS} days` : formatDuration(ms)
}

/**
 * Decides which complete backups go. `entries` newest first (as listBackups returns them); incomplete
 * ones are left alone. A damaged one is neither kept in a slot nor removed: it is never the reason a
 * good backup goes, and deleting it is the operator's call (it may be all that is left to salvage).
 */
export function planRetention(entries: BackupEntry[], policy: RetentionPolicy, now = new Date()): RetentionPlan {
  const plan: RetentionPlan = {damaged: [], keep: [], remove: []}
  let position = 0
  let protectedCount = 0
  for (const entry of entries) {
    if (!entry.complete) continue
    if (entry.damage) {
      plan.damaged.push(entry)
      continue
    }

    position++
    if (entry.verified && protectedCount < policy.minKeep) {
      protectedCount++
      plan.keep.push(entry)
      continue
    }

    const ageMs = now.getTime() - entry.createdAt.getTime()
    if (policy.keep !== undefined && position > policy.keep) plan.remove.push({entry, reason: `beyond --keep ${policy.keep}`})
    else if (policy.keepAgeMs !== undefined && ageMs > policy.keepAgeMs) plan.remove.push({entry, reason: `older than ${describeAge(policy.keepAgeMs)}`})
    else plan.keep.push(entry)
  }

  return plan
}

/** Deletes a backup and its .sha256 and manifest (manifest first: a half-removed backup must not look complete). */
export async function removeBackup(path: string): Promise<void> {
  await rm(manifestPath(path), {force: true})
  await rm(checksumPath(path), {force: true})
  await rm(path, {force: true})
}

/** Plans retention for one context's backups in a directory and, unless dryRun, removes what the plan says. Hold the directory's lock. */
export async function applyRetention(dir: string, context: string, policy: RetentionPolicy, dryRun = false): Promise<RetentionPlan> {
  const plan = planRetention(await listBackups(dir, {checksums: policy.verify, context}), policy)
  if (!dryRun) for (const {entry} of plan.remove) await removeBackup(entry.path)
  return plan
}

/** The warning for a damaged backup that retention leaves in place. */
export function damagedWarning(entry: BackupEntry): string {
  return `${entry.file} is damaged: ${entry.damage}. It was not counted as a backup and is left in place: check it with \`kasmctl backup verify ${entry.path}\` and remove it by hand`
}
