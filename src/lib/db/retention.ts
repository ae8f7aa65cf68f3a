import {OperationError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import type {Setting} from '../kasm/types.js'

/**
 * Kasm's log retention lives in two `logging` settings (kasm-api.md §5.5): log_retention in days
 * and debug_retention in hours, stored encrypted, so they are read and written through the API
 * only, as strings. 0 disables database logging for that class.
 */

export interface Retention {
  logRetentionDays: number
  debugRetentionHours: number
  /** Where Kasm forwards logs (log_protocol: internal, splunk, https, elasticsearch), when set. */
  logProtocol: string | null
}

export interface RetentionChange {
  setting: 'debug_retention' | 'log_retention'
  from: number
  to: number
}

const CATEGORY = 'logging'
const NAMES = {debugRetentionHours: 'debug_retention', logRetentionDays: 'log_retention'} as const

export async function getRetention(client: KasmClient): Promise<Retention> {
  return readRetention(await client.getSettings())
}

/** Plans the updates for the values given (unchanged ones are left out). */
export async function planRetention(
  client: KasmClient,
  wanted: {days?: number; debugHours?: number},
): Promise<{current: Retention; changes: RetentionChange[]; settings: Setting[]}> {
  const settings = await client.getSettings()
  const current = readRetention(settings)
  const changes: RetentionChange[] = []
  if (wanted.days !== undefined && wanted.days !== current.logRetentionDays) changes.push({from: current.logRetentionDays, setting: 'log_retention', to: wanted.days})
  if (wanted.debugHours !== undefined && wanted.debugHours !== current.debugRetentionHours) {
    changes.push({from: current.debugRetentionHours, setting: 'debug_retention', to: wanted.debugHours})
  }

  return {changes, current, settings}
}

/** Applies the changes one update_setting call each (as Kasm's UI does), values as strings. */
export async function applyRetention(client: KasmClient, settings: Setting[], changes: RetentionChange[]): Promise<Retention> {
  for (const change of changes) {
    await client.updateSetting(findSetting(settings, change.setting).setting_id, String(change.to))
  }

  return getRetention(client)
}

function readRetention(settings: Setting[]): Retention {
  const protocol = settings.find((s) => s.category === CATEGORY && s.name === 'log_protocol')?.value
  return {
    debugRetentionHours: numericSetting(settings, NAMES.debugRetentionHours),
    logProtocol: protocol ? String(protocol) : null,
    logRetentionDays: numericSetting(settings, NAMES.logRetentionDays),
  }
}

function findSetting(settings: Setting[], name: string): Setting {
  const setting = settings.find((s) => s.category === CATEGORY && s.name === name)
  if (!setting) {
    throw new OperationError(`Kasm returned no ${CATEGORY}/${name} setting`, {hint: 'check the Kasm version; log retention settings exist since 1.11'})
  }

  return setting
}

function numericSetting(settings: Setting[], name: string): number {
  const value = String(findSetting(settings, name).value ?? '').trim()
  if (!/^\d+$/.test(value)) throw new OperationError(`Kasm's ${CATEGORY}/${name} setting is "${value}", not a whole number`)
  return Number(value)
}

export interface PurgeAges {
  olderThanMs: number
  debugOlderThanMs: number
  /** Where the ages came from: both flags, both retention settings, or one of each. */
  source: 'flags' | 'mixed' | 'settings'
}

/**
 * The purge ages: the ones given, the others from Kasm's retention settings (read only when
 * needed, so a purge with both ages works with a database-only context).
 */
export async function purgeAges(given: {olderThanMs?: number; debugOlderThanMs?: number}, fetch: () => Promise<Retention>): Promise<PurgeAges> {
  const {debugOlderThanMs, olderThanMs} = given
  if (olderThanMs !== undefined && debugOlderThanMs !== undefined) return {debugOlderThanMs, olderThanMs, source: 'flags'}
  const retention = await fetch().catch((error: Error & {hint?: string}) => {
    // Keep the error's type and exit code; add the way around the API.
    error.hint = `${error.hint ? `${error.hint}; or ` : ''}give both --older-than and --debug-older-than to purge without reading Kasm's retention settings`
    throw error
  })
  return {
    debugOlderThanMs: debugOlderThanMs ?? retention.debugRetentionHours * 3_600_000,
    olderThanMs: olderThanMs ?? retention.logRetentionDays * 86_400_000,
    source: olderThanMs === undefined && debugOlderThanMs === undefined ? 'settings' : 'mixed',
  }
}
