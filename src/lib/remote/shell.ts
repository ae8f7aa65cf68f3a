/** Characters that never need quoting in a POSIX shell word. */
const SAFE_WORD = /^[\w%+,./:=@-]+$/

/**
 * Quotes one argument for a POSIX shell (the remote login shell that OpenSSH hands the command to).
 * Single quotes make every character literal; an embedded single quote becomes '\''.
 */
export function shellQuote(arg: string): string {
  if (SAFE_WORD.test(arg)) return arg
  return `'${arg.replaceAll("'", String.raw`'\''`)}'`
}

/** Joins argv into one shell command line where every argument is quoted. */
export function shellJoin(argv: readonly string[]): string {
  return argv.map((arg) => shellQuote(arg)).join(' ')
}
