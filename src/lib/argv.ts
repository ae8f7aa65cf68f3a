/** A global flag as the command line splitter needs it: its one-letter alias, and whether it takes a value. */
export interface GlobalFlagSpec {
  char?: string
  takesValue: boolean
}

export interface CommandLine {
  /** The command id (`zone:list`), when the words name one. */
  command?: string
  /** The command's own arguments, the global flags given before it first. */
  argv: string[]
  /** The words that were meant as the command (for a "not a command" message). */
  words: string[]
  /** --json or -o json was given: errors must come out as JSON. */
  json: boolean
}

/**
 * Splits a command line that may start with global flags (`--context lab -o json zone list x`):
 * the global flags and their values, then the longest run of words that names a command; what
 * follows belongs to the command. Global flags move behind the command, where its parser reads them.
 */
export function splitCommandLine(
  tokens: readonly string[],
  options: {globalFlags: Record<string, GlobalFlagSpec>; isCommand: (id: string) => boolean},
): CommandLine {
  const index = leadingGlobalFlags(tokens, options.globalFlags)
  const globals = tokens.slice(0, index)
  let end = index
  while (end < tokens.length && !tokens[end].startsWith('-')) end++
  const words = tokens.slice(index, end)
  let length = words.length
  while (length > 0 && !options.isCommand(words.slice(0, length).join(':'))) length--
  const json = wantsJson(tokens)
  if (length === 0) return {argv: [...globals, ...tokens.slice(end)], json, words: words.length > 0 ? words : tokens.slice(index, index + 1)}
  return {argv: [...globals, ...tokens.slice(index + length)], command: words.slice(0, length).join(':'), json, words: words.slice(0, length)}
}

/** How many tokens at the start are global flags and their values. */
export function leadingGlobalFlags(tokens: readonly string[], globalFlags: Record<string, GlobalFlagSpec>): number {
  let index = 0
  for (; index < tokens.length; index++) {
    const spec = globalFlag(tokens[index], globalFlags)
    if (!spec) break
    if (spec.needsNext && index + 1 < tokens.length) index++
  }

  return index
}

/** The global flag a token starts (`--context`, `--context=lab`, `-o`, `-ojson`), and whether its value is the next token. */
function globalFlag(token: string, flags: Record<string, GlobalFlagSpec>): {needsNext: boolean} | undefined {
  const long = /^--([\w-]+)(=.*)?$/s.exec(token)
  if (long) {
    const spec = flags[long[1]]
    return spec && {needsNext: spec.takesValue && long[2] === undefined}
  }

  const short = /^-(\w)(.*)$/s.exec(token)
  const spec = short && Object.values(flags).find((flag) => flag.char === short[1])
  return spec ? {needsNext: spec.takesValue && short![2] === ''} : undefined
}

/** --json, -o json, -ojson, --output json or --output=json before any `--`. */
function wantsJson(tokens: readonly string[]): boolean {
  const end = tokens.includes('--') ? tokens.indexOf('--') : tokens.length
  return tokens.slice(0, end).some((token, index) => {
    if (token === '--json' || token === '-ojson' || token === '--output=json') return true
    return (token === '-o' || token === '--output') && tokens[index + 1] === 'json'
  })
}
