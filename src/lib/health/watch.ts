import {formatDuration, pauseUnless} from '../duration.js'
import {withInterrupt} from '../interrupt.js'
import type {HealthReport} from './types.js'

export interface WatchOptions {
  /** One compact JSON document per line (NDJSON). */
  json: boolean
  /** Human rendering of one report. */
  render: (report: HealthReport) => string
  /** Redraw in place on a terminal; append with a separator otherwise (logs, pipes). */
  tty: boolean
  write?: (text: string) => void
}

const CLEAR_SCREEN = '\u001B[H\u001B[2J'

/**
 * Runs the checks every `intervalMs` until Ctrl-C (or SIGTERM), like watch(1). A run in progress
 * finishes first (it is bounded by the per-target timeout; a second Ctrl-C does not wait for it).
 * Returns the last report, whose status is the exit code.
 */
export async function watchHealth(check: () => Promise<HealthReport>, intervalMs: number, options: WatchOptions): Promise<HealthReport | undefined> {
  const write = options.write ?? ((text: string) => process.stdout.write(text))
  return withInterrupt(async (signal) => {
    const stopped = new Promise<void>((resolve) => signal.addEventListener('abort', () => resolve(), {once: true}))
    let last: HealthReport | undefined
    while (!signal.aborted) {
      last = await check()
      if (options.json) write(`${JSON.stringify(last)}\n`)
      else if (options.tty) {
        write(`${CLEAR_SCREEN}Every ${formatDuration(intervalMs)}: kasmctl health — ${last.checkedAt} (Ctrl-C to stop)\n\n${options.render(last)}\n`)
      } else write(`--- ${last.checkedAt}\n${options.render(last)}\n\n`)
      if (!signal.aborted) await pauseUnless(intervalMs, stopped)
    }

    return last
  })
}
