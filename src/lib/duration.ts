import {UsageError} from './errors.js'

export const DAY_MS = 86_400_000

const UNITS: Record<string, number> = {d: DAY_MS, h: 3_600_000, m: 60_000, ms: 1, s: 1000, w: 604_800_000}

/** The longest delay a Node timer takes (2^31 - 1 ms, about 24.8 days): anything longer fires at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1

/** Inclusive bounds of a duration, in milliseconds. */
export interface DurationRange {
  min: number
  max: number
}

/** Waits, timeouts and intervals: something kasmctl sleeps on, so at most what a timer can take. */
export const TIMER_RANGE: DurationRange = {max: MAX_TIMER_MS, min: 1}
/** Ages and retention periods (compared with dates, never slept on): up to 100 years. */
export const AGE_RANGE: DurationRange = {max: 100 * 365 * UNITS.d, min: 1000}

/** "1ms to 24d20h": a range for help texts and messages. */
export function describeDurationRange(range: DurationRange): string {
  return `${formatDuration(range.min)} to ${formatDuration(range.max)}`
}

/**
 * Parses "90s", "5m", "1h30m", "7d", "2w" (and a bare number of seconds) into milliseconds.
 * Rejects negatives, unknown units, empty input and (when `range` is given) values outside it,
 * with a message naming the value.
 */
export function parseDuration(text: string, what = 'duration', range?: DurationRange): number {
  const input = text.trim()
  const parts = /^\d+(\.\d+)?$/.test(input) ? [[input, input, 's']] : [...input.matchAll(/(\d+(?:\.\d+)?)(ms|[smhdw])/g)]
  if (input === '' || parts.length === 0 || parts.map((p) => p[0]).join('') !== input) {
    throw new UsageError(`${what} "${text}" is not a duration: use a number with a unit, e.g. 30s, 5m, 4h, 7d, 1h30m (units: ms, s, m, h, d, w)`)
  }

  const ms = Math.round(parts.reduce((total, [, amount, unit]) => total + Number(amount) * UNITS[unit], 0))
  const bounds = range ?? {max: Number.MAX_SAFE_INTEGER, min: 0}
  if (!Number.isSafeInteger(ms) || ms < bounds.min || ms > bounds.max) {
    throw new UsageError(`${what} "${text}" is out of range: use ${describeDurationRange(bounds)}`)
  }

  return ms
}

/** 75000 → "1m15s"; 0 → "0s". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.max(0, Math.round(ms))}ms`
  let rest = Math.round(ms / 1000)
  const out: string[] = []
  for (const [unit, size] of [['d', 86_400], ['h', 3600], ['m', 60], ['s', 1]] as const) {
    if (rest >= size) {
      out.push(`${Math.floor(rest / size)}${unit}`)
      rest %= size
    }

    if (out.length === 2) break
  }

  return out.join('') || '0s'
}

/** 90061001 → "1d1h1m1s1ms": every unit, so parseDuration reads back exactly this value (for generated command lines). */
export function formatDurationExact(ms: number): string {
  let rest = Math.max(0, Math.round(ms))
  const out: string[] = []
  for (const [unit, size] of [['d', 86_400_000], ['h', 3_600_000], ['m', 60_000], ['s', 1000], ['ms', 1]] as const) {
    if (rest >= size) out.push(`${Math.floor(rest / size)}${unit}`)
    rest %= size
  }

  return out.join('') || '0s'
}

/** Age of a date for tables, kubectl-style ("45s", "3m", "2h", "5d"). */
export function formatAge(from: Date | undefined, now = new Date()): string {
  if (!from) return '-'
  const seconds = Math.max(0, Math.round((now.getTime() - from.getTime()) / 1000))
  if (seconds < 120) return `${seconds}s`
  if (seconds < 7200) return `${Math.floor(seconds / 60)}m`
  if (seconds < 172_800) return `${Math.floor(seconds / 3600)}h`
  return `${Math.floor(seconds / 86_400)}d`
}

/**
 * Waits `ms`, or less when `wake` settles first. The timer is cleared either way, so a follower
 * loop that ends on `wake` never holds the process open for the rest of its interval.
 */
export async function pauseUnless(ms: number, wake: Promise<unknown>): Promise<void> {
  let timer: NodeJS.Timeout | undefined
  const slept = new Promise<void>((resolve) => (timer = setTimeout(resolve, ms)))
  await Promise.race([slept, wake.then(noop, noop)]).finally(() => clearTimeout(timer))
}

const noop = (): void => undefined
