import {Chalk, type ChalkInstance} from 'chalk'

/** What the terminal allows: colour (per stream), progress, prompts. */
export interface Terminal {
  /** Colour on stdout (see colorFor). */
  color: boolean
  /** stdout is a TTY: progress renderers and redraws are allowed. */
  stdoutIsTTY: boolean
  /** stdin and stderr are TTYs: prompts are allowed (they write to stderr, so stdout stays the document). */
  interactive: boolean
  /** Colours for what goes to stdout. */
  chalk: ChalkInstance
  /** Colours for what goes to stderr (errors, warnings, progress lines): decided on stderr's own terminal. */
  stderrChalk: ChalkInstance
}

interface Streams {
  stdin: {isTTY?: boolean}
  stdout: {isTTY?: boolean}
  stderr: {isTTY?: boolean}
}

/**
 * Colour on one stream: FORCE_COLOR (non-empty; "0" or "false" turn it off) wins, then NO_COLOR
 * disables it when set to a non-empty value (no-color.org), then TERM=dumb; else when the stream is a TTY.
 */
export function colorFor(stream: {isTTY?: boolean}, env: NodeJS.ProcessEnv = process.env): boolean {
  const force = env.FORCE_COLOR
  if (force !== undefined && force !== '') return !['0', 'false'].includes(force.toLowerCase())
  if (env.NO_COLOR) return false
  if (env.TERM === 'dumb') return false
  return Boolean(stream.isTTY)
}

export function detectTerminal(env = process.env, streams: Streams = process): Terminal {
  const color = colorFor(streams.stdout, env)
  return {
    chalk: new Chalk({level: color ? 1 : 0}),
    color,
    interactive: Boolean(streams.stdin.isTTY) && Boolean(streams.stderr.isTTY),
    stderrChalk: new Chalk({level: colorFor(streams.stderr, env) ? 1 : 0}),
    stdoutIsTTY: Boolean(streams.stdout.isTTY),
  }
}
