import {Command, Errors, Flags, type Interfaces} from '@oclif/core'

import {expandBooleanValues} from './flags.js'
import type {ResolvedContext} from './lib/config/resolve.js'
import {redact} from './lib/config/secrets.js'
import {EXIT_CODES_HELP, ExitCode, isKasmctlError} from './lib/errors.js'
import type {KasmClient} from './lib/kasm/client.js'
import {OUTPUT_FORMATS, type OutputFormat, yamlRenderer} from './lib/output/format.js'
import {detectTerminal, type Terminal} from './lib/output/terminal.js'

export type BaseFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof BaseCommand)['baseFlags'] & T['flags']>
export type BaseArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>

/**
 * The one base command: global flags (--context, -o/--output, --json, --verbose), context and
 * API client on demand, one way to render results, and typed errors mapped to exit codes.
 * Commands return their JSON document from run(); oclif prints it under --json / -o json.
 */
export abstract class BaseCommand<T extends typeof Command> extends Command {
  static baseFlags = {
    context: Flags.string({description: 'context to use (default: KASMCTL_CONTEXT, then the current context)', helpGroup: 'GLOBAL'}),
    output: Flags.option({char: 'o', description: 'output format', helpGroup: 'GLOBAL', options: OUTPUT_FORMATS})(),
    verbose: Flags.boolean({description: 'debug output on stderr (secrets redacted); also KASMCTL_DEBUG=1', helpGroup: 'GLOBAL'}),
  }

  static enableJsonFlag = true
  /** Shown as EXIT CODES in --help. */
  static exitCodes: string[] = EXIT_CODES_HELP

  protected args!: BaseArgs<T>
  protected flags!: BaseFlags<T>
  /** Every positional argument, for commands with `strict = false` that take a list (`zone export [ZONE...]`). */
  protected positionals: string[] = []
  protected term: Terminal = detectTerminal()
  private clientPromise?: Promise<KasmClient>
  private contextPromise?: Promise<ResolvedContext>
  private readonly secrets: string[] = []
  private toYaml?: (data: unknown) => string

  /** Exit code for usage errors; `health` uses 3 (UNKNOWN) per the monitoring-plugin convention. */
  protected get usageExitCode(): number {
    return ExitCode.USAGE
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
    const ctor = this.ctor as typeof BaseCommand
    const baseFlags = (super.ctor as typeof BaseCommand).baseFlags
    // `--flag=false` for boolean flags, which oclif does not parse (src/flags.ts).
    const argv = expandBooleanValues(this.argv, {...baseFlags, ...ctor.flags})
    const parsed = await this.parse({args: ctor.args, baseFlags, enableJsonFlag: ctor.enableJsonFlag, flags: ctor.flags, strict: ctor.strict}, argv)
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
    this.contextPromise ??= import('./lib/config/resolve.js').then(async ({resolveContext}) => {
      const resolved = await resolveContext(this.flags.context)
      for (const warning of resolved.warnings) this.warn(warning)
      return resolved
    })
    return this.contextPromise
  }

  /** The Kasm API client for the selected context. */
  protected async kasm(): Promise<KasmClient> {
    this.clientPromise ??= (async () => {
      const [{context}, {KasmClient}] = await Promise.all([this.resolvedContext(), import('./lib/kasm/client.js')])
      const client = await KasmClient.fromContext(context, {debug: (line) => this.debugLine(line)})
      this.trackSecret(context.api.key)
      this.trackSecret((client as unknown as {options: {apiSecret: string}}).options.apiSecret)
      if (this.debugEnabled) await this.debugKasmVersion(client, context)
      return client
    })()
    return this.clientPromise
  }

  /** Warnings always go to stderr, also under --json: stdout stays the JSON document. */
  public warn(input: Error | string): Error | string {
    const {chalk} = detectTerminal()
    const text = typeof input === 'string' ? input : input.message
    process.stderr.write(`${chalk.yellow('Warning:')} ${redact(text, this.secrets)}\n`)
    return input
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
    else super.logJson(json)
  }

  /** Maps an error to the exit code this command reports. */
  protected exitCodeFor(error: unknown): number {
    if (isKasmctlError(error)) return error.exitCode === ExitCode.USAGE ? this.usageExitCode : error.exitCode
    if (isParseError(error)) return this.usageExitCode
    return ExitCode.FAILED
  }

  public async catch(error: Error & {exitCode?: number; oclif?: {exit?: number}}): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    const exitCode = this.exitCodeFor(error)
    const payload = isKasmctlError(error)
      ? error.toJSON()
      : {code: isParseError(error) ? 'USAGE' : 'INTERNAL', exitCode, message: error.message}
    payload.exitCode = exitCode
    if (this.jsonEnabled()) {
      process.stdout.write(`${JSON.stringify({error: redactObject(payload, this.secrets)}, null, this.jsonLines ? undefined : 2)}\n`)
    } else {
      const {chalk} = detectTerminal()
      process.stderr.write(`${chalk.red('Error:')} ${redact(error.message, this.secrets)}\n`)
      if (isKasmctlError(error) && error.hint) process.stderr.write(`${chalk.dim('Hint:')} ${error.hint}\n`)
      if (!isKasmctlError(error) && !isParseError(error) && this.debugEnabled) process.stderr.write(`${error.stack}\n`)
    }

    process.exitCode = exitCode
    throw Object.assign(new Errors.ExitError(exitCode), {skipOclifErrorHandling: true})
  }

  public async finally(error: Error | undefined): Promise<void> {
    if (this.clientPromise) (await this.clientPromise.catch(() => undefined))?.close()
    await super.finally(error)
  }
}

function isParseError(error: unknown): boolean {
  // A flag's own parse() failing (e.g. Flags.integer's min) comes back as a plain CLIError prefixed "Parsing --flag".
  // So does an option flag given twice ("Flag --x can only be specified once").
  return error instanceof Errors.CLIError && ('parse' in error || /^Parsing --|^Flag --\S+ can only be specified once/.test(error.message))
}

function redactObject(payload: Record<string, unknown>, secrets: string[]): Record<string, unknown> {
  return JSON.parse(redact(JSON.stringify(payload), secrets))
}
