import {setTimeout as sleep} from 'node:timers/promises'

import {AuthError, isKasmctlError} from '../errors.js'

export interface PollOptions<T> {
  read: () => Promise<T>
  /** Stop polling when this returns true. */
  done: (value: T) => boolean
  intervalMs: number
  /** Epoch ms after which polling stops with status "deadline". */
  deadlineAt: number
  signal?: AbortSignal
  onValue?: (value: T) => void
  /** Every failed read, with its reason and when the next attempt comes. Never a silent retry. */
  onFailure?: (failure: PollFailure) => void
}

export interface PollFailure {
  error: string
  code: string
  failures: number
  retryInMs: number
}

export type PollResult<T> = {status: 'deadline' | 'interrupted'; value?: T} | {status: 'done'; value: T}

/** Longest wait between two attempts while the API keeps failing. */
const MAX_BACKOFF_MS = 30_000

/**
 * Polls until `done`, the deadline or the abort signal. Failed reads (API down, 5xx, timeouts)
 * are reported and retried with exponential backoff; auth errors are not retried: they will not
 * heal by waiting.
 */
export async function pollUntil<T>(options: PollOptions<T>): Promise<PollResult<T>> {
  let failures = 0
  let last: T | undefined
  for (;;) {
    if (options.signal?.aborted) return {status: 'interrupted', value: last}
    let delay = options.intervalMs
    try {
      last = await options.read()
      failures = 0
      options.onValue?.(last)
      if (options.done(last)) return {status: 'done', value: last}
    } catch (error) {
      if (error instanceof AuthError || !isRetryable(error)) throw error
      failures++
      delay = Math.min(options.intervalMs * 2 ** failures, MAX_BACKOFF_MS)
      const remaining = Math.max(0, options.deadlineAt - Date.now())
      options.onFailure?.({
        code: isKasmctlError(error) ? error.code : 'ERROR',
        error: (error as Error).message,
        failures,
        retryInMs: Math.min(delay, remaining),
      })
    }

    const remaining = options.deadlineAt - Date.now()
    if (remaining <= 0) return {status: 'deadline', value: last}
    try {
      await sleep(Math.min(delay, remaining), undefined, {signal: options.signal})
    } catch {
      return {status: 'interrupted', value: last}
    }
  }
}

/** Unavailability and Kasm business errors may pass; programming errors should surface at once. */
function isRetryable(error: unknown): boolean {
  return isKasmctlError(error)
}
