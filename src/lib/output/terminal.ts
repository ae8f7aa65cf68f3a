import {Chalk, type ChalkInstance} from 'chalk'

/** What the terminal allows: colour, progress, prompts. */
export interface Terminal {
  /** stdout is a TTY and NO_COLOR is not set. */
  color: boolean
  /** stdout is a TTY: progress renderers and redraws are allowed. */
  stdoutIsTTY: boolean
  /** stdin and stdout are TTYs: prompts are allowed (never under cron or --yes). */
  interactive: boolean
  chalk: ChalkInstance
}

export function detectTerminal(env = process.env): Terminal {
  const stdoutIsTTY = Boolean(process.stdout.isTTY)
  const color = stdoutIsTTY && env.NO_COLOR === undefined && env.TERM !== 'dumb'
  return {
    chalk: new Chalk({level: color ? 1 : 0}),
    color,
    interactive: Boolean(process.stdin.isTTY) && stdoutIsTTY,
    stdoutIsTTY,
  }
}
