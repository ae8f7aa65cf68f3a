import {formatDuration} from '../duration.js'
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
 * Runs the checks every `intervalMs` until SIGINT (Ctrl-C), like watch(1). A run in progress
 * finishes first (it is bounded by the per-target timeout). Returns the last report, whose status
 * is the exit code.
 */
export async function watchHealth(check: () => Promise<HealthReport>, intervalMs: number, options: WatchOptions): Promise<HealthReport | undefined> {
  const write = options.write ?? ((text: string) => process.stdout.write(text))
  let stopped = false
  let wake: (() => void) | undefined
  const onSigint = () => {
    stopped = true
    wake?.()
  }

  process.on('SIGINT', onSigint)
  let last: HealthReport | undefined
  try {
    while (!stopped) {
      last = await check()
      if (options.json) write(`${JSON.stringify(last)}\n`)
      else if (options.tty) {
        write(`${CLEAR_SCREEN}Every ${formatDuration(intervalMs)}: kasmctl health — ${last.checkedAt} (Ctrl-C to stop)\n\n${options.render(last)}\n`)
      } else write(`--- ${last.checkedAt}\n${options.render(last)}\n\n`)
      if (stopped) break
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
    }
  } finally {
    process.off('SIGINT', onSigint)
  }

  return last
}
