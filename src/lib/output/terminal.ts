import type {ChalkInstance} from 'chalk'

/** What the terminal allows: colour (per stream), progress, prompts. */
export interface Terminal {
  /** Colour on stdout (see colorFor). */
  color: boolean
  /** stdout is a TTY: progress renderers and redraws are allowed. */
  stdoutIsTTY: boolean
  /** The width of stdout's terminal, when it is one (tables fit it). */
  columns?: number
  /** stdin and stderr are TTYs: prompts are allowed (they write to stderr, so stdout stays the document). */
  interactive: boolean
  /** Colours for what goes to stdout. */
  chalk: ChalkInstance
  /** Colours for what goes to stderr (errors, warnings, progress lines): decided on stderr's own terminal. */
  stderrChalk: ChalkInstance
}

interface Streams {
  stdin: {isTTY?: boolean}
  stdout: {isTTY?: boolean; columns?: number}
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

/** chalk, once loadColour() has found a stream to colour. */
let Chalk: typeof import('chalk').Chalk | undefined

/**
 * Loads chalk when stdout or stderr will be coloured. A run without colour (a pipe, cron, NO_COLOR)
 * never loads it: its ~5 ms are paid only where they show (bench/startup.mjs). The base command
 * calls this before anything is written.
 */
export async function loadColour(env = process.env, streams: Streams = process): Promise<void> {
  if (!Chalk && (colorFor(streams.stdout, env) || colorFor(streams.stderr, env))) ({Chalk} = await import('chalk'))
}

/** chalk with no colour: every style, chained or not, gives back the text. */
const PLAIN: ChalkInstance = new Proxy(Object.assign((...text: unknown[]) => text.join(' '), {level: 0}) as unknown as ChalkInstance, {
  get: (target, property) => (property === 'level' ? 0 : property in Function.prototype ? Reflect.get(target, property) : PLAIN),
})

function painter(color: boolean): ChalkInstance {
  return color && Chalk ? new Chalk({level: 1}) : PLAIN
}

export function detectTerminal(env = process.env, streams: Streams = process): Terminal {
  const color = colorFor(streams.stdout, env)
  return {
    chalk: painter(color),
    color,
    interactive: Boolean(streams.stdin.isTTY) && Boolean(streams.stderr.isTTY),
    columns: streams.stdout.isTTY && streams.stdout.columns ? streams.stdout.columns : undefined,
    stderrChalk: painter(colorFor(streams.stderr, env)),
    stdoutIsTTY: Boolean(streams.stdout.isTTY),
  }
}
