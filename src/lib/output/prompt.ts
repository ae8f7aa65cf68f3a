import {UsageError} from '../errors.js'

/** Prompts write to stderr: stdout carries only the command's output (the JSON document under --json). */
const ON_STDERR = {output: process.stderr}

export interface ConfirmOptions {
  /** --yes given: no prompt. */
  yes: boolean
  /** stdin and stderr are TTYs. */
  interactive: boolean
}

/**
 * Typed confirmation for destructive actions: the user types `expected` (a zone name, a database...).
 * Never prompts when stdin is not a TTY: cron must not hang, so that is an error naming --yes.
 * Returns false when the user typed something else.
 */
export async function confirmTyped(question: string, expected: string, options: ConfirmOptions): Promise<boolean> {
  if (options.yes) return true
  if (!options.interactive) {
    throw new UsageError(`${question} needs confirmation, and stdin is not a terminal`, {hint: 're-run with --yes to confirm'})
  }

  const {input} = await import('@inquirer/prompts')
  const answer = await input({message: `${question}\n  Type "${expected}" to confirm:`}, ON_STDERR)
  return answer.trim() === expected
}

/** Yes/no confirmation; same non-TTY rule as confirmTyped. */
export async function confirmYesNo(question: string, options: ConfirmOptions): Promise<boolean> {
  if (options.yes) return true
  if (!options.interactive) {
    throw new UsageError(`${question} needs confirmation, and stdin is not a terminal`, {hint: 're-run with --yes to confirm'})
  }

  const {confirm} = await import('@inquirer/prompts')
  return confirm({default: false, message: question}, ON_STDERR)
}

/** A pick list (arrow keys); same non-TTY rule as confirmTyped, with `hint` saying how to name the choice instead. */
export async function chooseOne<T>(
  message: string,
  choices: Array<{name: string; value: T}>,
  options: {interactive: boolean; hint: string},
): Promise<T> {
  if (!options.interactive) throw new UsageError(`${message}: stdin is not a terminal, so there is no pick list`, {hint: options.hint})
  const {select} = await import('@inquirer/prompts')
  return select({choices, message}, ON_STDERR)
}

/** A masked prompt for a secret (the caller has checked that the terminal is interactive). */
export async function askSecret(message: string): Promise<string> {
  const {password} = await import('@inquirer/prompts')
  return password({mask: '*', message}, ON_STDERR)
}
