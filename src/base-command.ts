import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {expandBooleanValues} from './flags.js'
import type {GlobalFlagSpec} from './lib/argv.js'
import type {ResolvedContext} from './lib/config/resolve.js'
import {redact} from './lib/config/secrets.js'
import {ExitCode, exitCodeHelp, isKasmctlError, type KasmctlError, MONITORING_UNKNOWN, UsageError} from './lib/errors.js'
import type {KasmClient} from './lib/kasm/client.js'
import {takeEarlyContext} from './lib/kasm/early-answers.js'
import {OUTPUT_FORMATS, type OutputFormat, yamlRenderer} from './lib/output/format.js'
import {detectTerminal, loadColour, type Terminal} from './lib/output/terminal.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * Global flags of the commands that use no context (context add, sandbox ...): they declare
 * `static baseFlags = CONTEXT_FREE_FLAGS`, so `--context` given to them is a usage error, not ignored.
 */
export const CONTEXT_FREE_FLAGS = {
  output: Flags.option({char: 'o', description: 'output format', helpGroup: 'GLOBAL', options: OUTPUT_FORMATS})(),
  verbose: Flags.boolean({description: 'debug output on stderr (secrets redacted); also KASMCTL_DEBUG=1', helpGroup: 'GLOBAL'}),
}

const CONTEXT_FLAG = {
  context: Flags.string({description: 'context to use (default: KASMCTL_CONTEXT, then the current context)', helpGroup: 'GLOBAL'}),
}

/**
 * The one base command: global flags (--context, -o/--output, --json, --verbose), context and
 * API client on demand, one way to render results, and typed errors mapped to exit codes.
 * Commands return their JSON document from run(); oclif prints it under --json / -o json.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static baseFlags: typeof CONTEXT_FREE_FLAGS & Partial<typeof CONTEXT_FLAG> = {...CONTEXT_FLAG, ...CONTEXT_FREE_FLAGS}

  /**
   * What the command changes, if anything: a command that declares `mutates = true` takes --yes and
   * --dry-run (test/commands/conventions.test.ts checks every one).
   */
  static mutates?: boolean

  static enableJsonFlag = true
  /** The exit codes the command can return: --help's EXIT CODES and docs/json.md. Commands that take a lock, reach no API, or have their own convention declare theirs. */
  static exitCodes: string[] = exitCodeHelp([0, 1, 64, 69, 77])

  protected args!: BaseArgs<T>
  protected flags!: BaseFlags<T>
  /** Every positional argument, for commands with `strict = false` that take a list (`zone export [ZONE...]`). */
  protected positionals: string[] = []
  protected term: Terminal = detectTerminal()
  private clientPromise?: Promise<KasmClient>
  private contextPromise?: Promise<ResolvedContext>
  private readonly secrets: string[] = []
  private readonly warnings: string[] = []
  private toYaml?: (data: unknown) => string

  /** Exit code for usage errors; monitoring-plugin commands declare MONITORING_UNKNOWN (3), and then every failure of theirs is 3. */
  static usageExitCode: number = ExitCode.USAGE

  protected get usageExitCode(): number {
    return (this.ctor as typeof BaseCommand).usageExitCode
  }

  protected get format(): OutputFormat {
    if (super.jsonEnabled()) return 'json'
    return (this.flags?.output as OutputFormat | undefined) ?? 'table'
  }

  protected get debugEnabled(): boolean {
    return Boolean(this.flags?.verbose) || process.env.KASMCTL_DEBUG === '1'
  }

  public async init(): Promise<void> {
    await super.init()
    await loadColour()
    this.term = detectTerminal()
    const ctor = this.ctor as typeof BaseCommand
    const baseFlags = (super.ctor as typeof BaseCommand).baseFlags
    // `--flag=false` for boolean flags, which oclif does not parse (src/flags.ts).
    const argv = expandBooleanValues(this.argv, {...baseFlags, ...ctor.flags})
    const parsed = await this.parse({args: ctor.args, baseFlags, enableJsonFlag: ctor.enableJsonFlag, flags: ctor.flags, strict: ctor.strict}, argv).catch((error: unknown) => {
      throw asUsageError(error)
    })
    this.flags = parsed.flags as BaseFlags<T>
    this.args = parsed.args as BaseArgs<T>
    this.positionals = parsed.argv as string[]
    if (this.format === 'yaml') this.toYaml = await yamlRenderer()
  }

  /** `-o json` behaves exactly like `--json`. */
  public jsonEnabled(): boolean {
    if (super.jsonEnabled()) return true
    if (this.flags) return this.flags.output === 'json'
    // Flags not parsed yet (a parse error): look at argv so the error still comes out as JSON.
    const argv = this.argv.join(' ')
    return /(^|\s)(-o\s*json|--output[=\s]json)(\s|$)/.test(argv)
  }

  /** The selected context; warnings (file mode, insecure TLS) go to stderr once. */
  protected async resolvedContext(): Promise<ResolvedContext> {
    this.contextPromise ??= (async () => {
      // Resolved already when bin/run.js asked the command's first reads early (early-read.ts).
      let resolved = takeEarlyContext(this.flags.context)
      if (!resolved) {
        const {resolveContext} = await import('./lib/config/resolve.js')
        resolved = await resolveContext(this.flags.context)
      }

      for (const warning of resolved.warnings) this.warn(warning)
      return resolved
    })()
    return this.contextPromise
  }

  /** The Kasm API client for the selected context (`limits`: at most this timeout, this many retries). */
  protected async kasm(limits: {retries?: number; timeoutMs?: number} = {}): Promise<KasmClient> {
    this.clientPromise ??= (async () => {
      const [{context}, {KasmClient}] = await Promise.all([this.resolvedContext(), import('./lib/kasm/client.js')])
      const timeoutMs = Math.min(limits.timeoutMs ?? Infinity, context.api.timeoutMs ?? Infinity)
      const client = await KasmClient.fromContext(context, {
        debug: (line) => this.debugLine(line),
        retries: limits.retries,
        timeoutMs: Number.isFinite(timeoutMs) ? timeoutMs : undefined,
      })
      this.trackSecret(context.api.key)
      this.trackSecret((client as unknown as {options: {apiSecret: string}}).options.apiSecret)
      if (this.debugEnabled) await this.debugKasmVersion(client, context)
      return client
    })()
    return this.clientPromise
  }

  /**
   * Warnings go to stderr, also under --json (stdout stays the JSON document), and into the JSON
   * document itself as its `warnings` key (docs/json.md), so that a script sees them too.
   */
  public warn(input: Error | string): Error | string {
    const chalk = detectTerminal().stderrChalk
    const text = redact(typeof input === 'string' ? input : input.message, this.secrets)
    this.warnings.push(text)
    process.stderr.write(`${chalk.yellow('Warning:')} ${text}\n`)
    return input
  }

  /** The JSON document, with the warnings of the run (when there were any) as its `warnings` key. */
  protected toSuccessJson(result: unknown): unknown {
    if (this.warnings.length === 0 || typeof result !== 'object' || result === null || Array.isArray(result)) return result
    const own = (result as {warnings?: unknown}).warnings
    // A command that lists its warnings itself (plan) and also warns: each once.
    return {...result, warnings: [...new Set([...(Array.isArray(own) ? own : []), ...this.warnings])]}
  }

  /** Debug line on stderr when --verbose / KASMCTL_DEBUG=1; known secrets are redacted. */
  protected debugLine(line: string): void {
    if (this.debugEnabled) process.stderr.write(`[debug] ${redact(line, this.secrets)}\n`)
  }

  /** --verbose names the Kasm version the command talks to (one extra read; a warning when unknown). */
  private async debugKasmVersion(client: KasmClient, context: ResolvedContext['context']): Promise<void> {
    const {describeVersion, detectKasmVersion} = await import('./lib/kasm/version.js')
    const detected = await detectKasmVersion(client, context)
    this.debugLine(`Kasm version: ${describeVersion(detected)}`)
    if (detected.warning) this.warn(detected.warning)
  }

  protected trackSecret(secret: string | undefined): void {
    if (secret) this.secrets.push(secret)
  }

  /**
   * Renders a result: YAML for -o yaml, the human renderer for tables; JSON is printed by oclif
   * from run()'s return value. Returns the data so run() can `return this.emit(...)`.
   */
  protected emit<R>(data: R, human: (data: R) => string | undefined | void): R {
    if (this.format === 'yaml' && this.toYaml) this.log(this.toYaml(data))
    else if (this.format === 'table') {
      const text = human(data)
      if (typeof text === 'string' && text !== '') this.log(text)
    }

    return data
  }

  /**
   * Streaming commands (agent drain, agent rotate) print one JSON object per line under --json:
   * their events, then the result (or the error) on one line too.
   */
  protected jsonLines = false

  public logJson(json: unknown): void {
    if (this.jsonLines) process.stdout.write(`${JSON.stringify(json)}\n`)
    // oclif tokenizes the whole document to colour it even with no colours to apply: ms per MB, for nothing.
    else if (this.config.theme?.json) super.logJson(json)
    else process.stdout.write(`${JSON.stringify(json, null, 2)}\n`)
  }

  /** Maps an error to the exit code this command reports. */
  protected exitCodeFor(error: unknown): number {
    // A monitoring plugin reports every failure of its own (flags, context, API, a bug) as UNKNOWN.
    if (this.usageExitCode === MONITORING_UNKNOWN) return MONITORING_UNKNOWN
    if (isKasmctlError(error)) return error.exitCode === ExitCode.USAGE ? this.usageExitCode : error.exitCode
    if (isParseError(error)) return this.usageExitCode
    return ExitCode.FAILED
  }

  public async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    reportError(error, {
      debug: this.debugEnabled,
      exitCode: this.exitCodeFor(error),
      json: this.jsonEnabled(),
      jsonLines: this.jsonLines,
      secrets: this.secrets,
      warnings: this.warnings,
    })
  }

  public async finally(error: Error | undefined): Promise<void> {
    if (this.clientPromise) (await this.clientPromise.catch(() => undefined))?.close()
    await super.finally(error)
  }
}

/** The global flags (--context, -o, --verbose, --json) as the command line splitter (src/lib/argv.ts) needs them. */
export function globalFlagSpecs(): Record<string, GlobalFlagSpec> {
  const flags = {...BaseCommand.baseFlags, json: {char: undefined, type: 'boolean'}}
  return Object.fromEntries(Object.entries(flags).map(([name, flag]) => [name, {char: flag.char, takesValue: flag.type !== 'boolean'}]))
}

/**
 * Prints an error the one kasmctl way (a JSON `{"error": {...}}` document on stdout under --json,
 * else "Error:" and "Hint:" on stderr), sets the exit code and ends the command.
 */
export function reportError(
  error: Error,
  options: {exitCode: number; json: boolean; jsonLines?: boolean; debug?: boolean; secrets?: string[]; warnings?: string[]},
): never {
  const {exitCode, secrets = []} = options
  const payload = isKasmctlError(error) ? error.toJSON() : {code: isParseError(error) ? 'USAGE' : 'INTERNAL', exitCode, message: error.message}
  payload.exitCode = exitCode
  if (options.json) {
    const warnings = options.warnings?.length ? {warnings: options.warnings} : {}
    process.stdout.write(`${JSON.stringify({error: redactObject(payload, secrets), ...warnings}, null, options.jsonLines ? undefined : 2)}\n`)
  } else {
    const chalk = detectTerminal().stderrChalk
    process.stderr.write(`${chalk.red('Error:')} ${redact(error.message, secrets)}\n`)
    if (isKasmctlError(error) && error.hint) process.stderr.write(`${chalk.dim('Hint:')} ${error.hint}\n`)
    if (!isKasmctlError(error) && !isParseError(error) && options.debug) process.stderr.write(`${error.stack}\n`)
  }

  process.exitCode = exitCode
  throw Object.assign(new Errors.ExitError(exitCode), {skipOclifErrorHandling: true})
}

function isParseError(error: unknown): boolean {
  return error instanceof Errors.CLIError && 'parse' in error
}

/**
 * Whatever the argument parser throws is a usage error: a flag without its value, an unknown flag,
 * an extra argument, a value out of range. oclif wraps a flag's own parse() errors in
 * "Parsing --flag \n\t<message>\nSee more help with --help": the message alone is kept.
 */
function asUsageError(error: unknown): KasmctlError {
  const message = (error as Error).message.replace(/^Parsing --\S+ \n\t/, '').replace(/\nSee more help with --help$/, '')
  if (isKasmctlError(error)) return Object.assign(error, {message})
  return new UsageError(message.replace(/^Error: /, ''), {hint: 'see --help for the flags and arguments this command takes'})
}

function redactObject(payload: Record<string, unknown>, secrets: string[]): Record<string, unknown> {
  return JSON.parse(redact(JSON.stringify(payload), secrets))
}
