/**
 * Typed errors. Every failure kasmctl reports carries an exit code and, where one exists,
 * the next step for the operator. Domain code throws these; the base command renders them.
 */

export const ExitCode = {
  OK: 0,
  FAILED: 1,
  /** Bad flags, arguments or input files (sysexits EX_USAGE). Never oclif's default 2. */
  USAGE: 64,
  /** Kasm API or database unreachable (EX_UNAVAILABLE). */
  UNAVAILABLE: 69,
  /** Another run holds the lock (EX_TEMPFAIL). */
  LOCKED: 75,
  /** Authentication or permission refused (EX_NOPERM). */
  AUTH: 77,
  /** Stopped by Ctrl-C with its progress saved, as a shell reports SIGINT (128 + 2). */
  INTERRUPTED: 130,
} as const

/** Monitoring-plugin commands (health, ha, zone lint, autoscale status): any failure of the tool itself is UNKNOWN. */
export const MONITORING_UNKNOWN = 3

export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode]

/** What each exit code means, for --help's EXIT CODES and the table in docs/json.md. */
export const EXIT_CODE_MEANINGS: Record<number, string> = {
  0: 'success',
  1: 'the operation failed',
  64: 'usage error: bad flag, argument or input file (nothing was changed)',
  69: 'Kasm API or database unreachable',
  75: 'another kasmctl run holds the lock',
  77: 'authentication or permission refused',
  130: 'interrupted (Ctrl-C) at a safe point: the message says what state it left',
}

/**
 * The EXIT CODES lines of a command: each code it can return, with the usual meaning or its own.
 * Every command declares its list once (`static exitCodes = exitCodeHelp([...])`); --help and the
 * exit code table of docs/json.md (scripts/exit-codes-doc.mjs) both read it.
 */
export function exitCodeHelp(codes: ReadonlyArray<number | readonly [number, string]>): string[] {
  return codes.map((code) => {
    const [value, meaning] = typeof code === 'number' ? [code, EXIT_CODE_MEANINGS[code]] : code
    return `${String(value).padEnd(4)}${meaning}`
  })
}

/** A command that reaches Kasm or its database and takes a lock. */
export const EXIT_CODES_HELP = exitCodeHelp([0, 1, 64, 69, 75, 77])

export interface KasmctlErrorOptions {
  /** What to do next, e.g. "run `kasmctl context add`". */
  hint?: string
  cause?: unknown
  /** Extra machine-readable details for --json. Never put secrets here. */
  details?: Record<string, unknown>
}

export class KasmctlError extends Error {
  readonly exitCode: number
  /** Stable, machine-readable error code for --json consumers. */
  readonly code: string
  readonly hint?: string
  readonly details?: Record<string, unknown>

  constructor(message: string, code: string, exitCode: number, options: KasmctlErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = new.target.name
    this.code = code
    this.exitCode = exitCode
    this.hint = options.hint
    this.details = options.details
  }

  toJSON(): Record<string, unknown> {
    return {
      code: this.code,
      exitCode: this.exitCode,
      message: this.message,
      ...(this.hint ? {hint: this.hint} : {}),
      ...(this.details ? {details: this.details} : {}),
    }
  }
}

/** Work stopped by Ctrl-C at a safe point: the message says what state it left, the hint how to carry on. */
export class InterruptedError extends KasmctlError {
  constructor(message: string, options?: KasmctlErrorOptions) {
    super(message, 'INTERRUPTED', ExitCode.INTERRUPTED, options)
  }
}

/** Bad input: the message names the bad value and the valid ones. Nothing was changed. */
export class UsageError extends KasmctlError {
  constructor(message: string, options?: KasmctlErrorOptions) {
    super(message, 'USAGE', ExitCode.USAGE, options)
  }
}

/** No usable context or configuration. */
export class ConfigError extends KasmctlError {
  constructor(message: string, options?: KasmctlErrorOptions) {
    super(message, 'CONFIG', ExitCode.USAGE, options)
  }
}

/** No context is selected at all (no --context, KASMCTL_CONTEXT, KASMCTL_API_URL or current-context). */
export class NoContextError extends ConfigError {}

/** The Kasm API (or another service) could not be reached or answered unusably. */
export class UnavailableError extends KasmctlError {
  constructor(message: string, options?: KasmctlErrorOptions) {
    super(message, 'UNAVAILABLE', ExitCode.UNAVAILABLE, options)
  }
}

/** The API key or database user was refused, or lacks a permission. */
export class AuthError extends KasmctlError {
  constructor(message: string, options?: KasmctlErrorOptions) {
    super(message, 'AUTH', ExitCode.AUTH, options)
  }
}

/** Kasm answered with a business error (HTTP 200 + error_message). */
export class KasmApiError extends KasmctlError {
  readonly kasmMessage: string
  constructor(message: string, kasmMessage: string, options?: KasmctlErrorOptions) {
    super(message, 'KASM_API', ExitCode.FAILED, options)
    this.kasmMessage = kasmMessage
  }
}

/** A named object (zone, agent, session...) does not exist or is ambiguous. */
export class NotFoundError extends KasmctlError {
  constructor(message: string, options?: KasmctlErrorOptions) {
    super(message, 'NOT_FOUND', ExitCode.USAGE, options)
  }
}

/** Another run holds the lock. */
export class LockedError extends KasmctlError {
  constructor(message: string, options?: KasmctlErrorOptions) {
    super(message, 'LOCKED', ExitCode.LOCKED, options)
  }
}

/** An operation ran and failed; the message says what state it left. */
export class OperationError extends KasmctlError {
  constructor(message: string, options?: KasmctlErrorOptions & {code?: string}) {
    super(message, options?.code ?? 'FAILED', ExitCode.FAILED, options)
  }
}

/** Kasm's licence lacks a feature (Auto Scaling, the Developer API): the message names it. */
export class LicenseError extends KasmctlError {
  constructor(message: string, options?: KasmctlErrorOptions) {
    super(message, 'NOT_LICENSED', ExitCode.AUTH, options)
  }
}

export function isKasmctlError(error: unknown): error is KasmctlError {
  return error instanceof KasmctlError
}

/** Lists valid values for a message: `a, b or c`. */
export function listValues(values: readonly string[]): string {
  if (values.length <= 1) return values.join('')
  return `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`
}
