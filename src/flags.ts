import {Flags, type Interfaces} from '@oclif/core'

import {AGE_RANGE, DAY_MS, describeDurationRange, type DurationRange, parseDuration, TIMER_RANGE} from './lib/duration.js'
import {UsageError} from './lib/errors.js'
import {BOOLEAN_WORDS_HELP, parseBooleanWord, STRATEGY_NAMES, ZONE_SETTINGS} from './lib/zones/settings.js'

/** Flags shared by many commands. Defined once so their names and help stay consistent. */

export const yesFlag = Flags.boolean({char: 'y', description: 'answer yes to confirmations (required when stdin is not a terminal)'})

export const dryRunFlag = Flags.boolean({description: 'show what would change and change nothing'})

/**
 * Number and duration flags declare their range (`range`, `kind`): checked at parse time, shown in
 * --help, and read by the test that walks every command (test/commands/usage-errors.test.ts).
 */
export type RangedFlag = {
  kind: 'duration' | 'integer'
  range: {min: number; max: number}
}

/** What a command may set on a number or duration flag. */
interface NumberFlagOptions {
  deprecated?: {to: string}
  description: string
  default?: number
  defaultHelp?: () => Promise<string>
  exclusive?: string[]
  helpGroup?: string
  helpValue?: string
}

const durationFlagOf = Flags.custom<number, RangedFlag>({
  async parse(input, _context, options) {
    return parseDuration(input, `--${options.name}`, options.range)
  },
})

/**
 * A duration such as 30s, 5m, 1h30m, 7d; parsed to milliseconds. `range` defaults to TIMER_RANGE
 * (something kasmctl waits on); ages and retention periods pass AGE_RANGE.
 */
export function durationFlag(options: NumberFlagOptions & {default: number; range?: DurationRange}): Interfaces.OptionFlag<number>
export function durationFlag(options: NumberFlagOptions & {range?: DurationRange}): Interfaces.OptionFlag<number | undefined>
export function durationFlag(options: NumberFlagOptions & {range?: DurationRange}): Interfaces.OptionFlag<number | undefined> {
  const range = options.range ?? TIMER_RANGE
  return durationFlagOf({helpValue: 'DURATION', ...options, description: `${options.description} (${describeDurationRange(range)})`, kind: 'duration', range})
}

export {AGE_RANGE, TIMER_RANGE}

const integerFlagOf = Flags.custom<number, RangedFlag>({
  async parse(input, _context, options) {
    const {max, min} = options.range
    const value = /^-?\d+$/.test(input.trim()) ? Number(input) : Number.NaN
    if (!Number.isSafeInteger(value) || value < min || value > max) {
      const shown = /^\S+$/.test(input) ? input : JSON.stringify(input)
      throw new UsageError(`--${options.name} ${shown} is not valid: expected a whole number from ${min} to ${max}`)
    }

    return value
  },
})

/** A whole number within `min`..`max` (both required: every number kasmctl takes has a documented range). */
export function integerFlag(options: NumberFlagOptions & {default: number; min: number; max: number}): Interfaces.OptionFlag<number>
export function integerFlag(options: NumberFlagOptions & {min: number; max: number}): Interfaces.OptionFlag<number | undefined>
export function integerFlag(options: NumberFlagOptions & {min: number; max: number}): Interfaces.OptionFlag<number | undefined> {
  const {max, min, ...rest} = options
  return integerFlagOf({helpValue: 'N', ...rest, description: `${options.description} (${min}-${max})`, kind: 'integer', range: {max, min}})
}

export const zoneFlag = Flags.string({description: 'deployment zone (name, id or unique id prefix)'})

/**
 * A boolean that also takes a value: `--x`, `--no-x` and `--x=true|false|yes|no|1|0`.
 * oclif's boolean flags take no value (`--x=false` would turn "false" into an argument), so the base
 * command rewrites `--x=VALUE` to `--x` / `--no-x` before parsing: see expandBooleanValues.
 */
export function booleanValueFlag(options: {description: string; helpGroup?: string}) {
  return Flags.boolean({...options, allowNo: true})
}

/**
 * Rewrites `--x=VALUE` for the command's `--no-` capable boolean flags into `--x` or `--no-x`.
 * A bad value, or the same flag given both ways (`--x --no-x`), is a UsageError (exit 64).
 */
export function expandBooleanValues(argv: readonly string[], flags: Record<string, {allowNo?: boolean; type: string}>): string[] {
  const seen = new Map<string, {given: string; value: boolean}>()
  const out: string[] = []
  for (const [index, arg] of argv.entries()) {
    if (arg === '--') return [...out, ...argv.slice(index)]
    const match = /^--(no-)?([\w-]+)(?:=(.*))?$/s.exec(arg)
    const flag = match && flags[match[2]]
    if (!match || !flag || flag.type !== 'boolean' || !flag.allowNo) {
      out.push(arg)
      continue
    }

    const [, negated, name, text] = match
    let value = !negated
    if (text !== undefined) {
      const word = negated ? undefined : parseBooleanWord(text)
      if (word === undefined) {
        throw new UsageError(`${arg}: "${text}" is not a boolean value for --${name}: use ${BOOLEAN_WORDS_HELP}, or --${name} / --no-${name}`)
      }

      value = word
    }

    const previous = seen.get(name)
    if (previous && previous.value !== value) throw new UsageError(`conflicting flags: ${previous.given} and ${arg}`, {hint: `give --${name} once`})
    seen.set(name, {given: arg, value})
    out.push(value ? `--${name}` : `--no-${name}`)
  }

  return out
}

/** One flag per field of a field table (zone settings, autoscale fields): booleans take a value too, the rest a string. */
export function fieldTableFlags(fields: ReadonlyArray<{description: string; flag: string; kind: string; since?: string}>, helpGroup: string, helpValues: Record<string, string>) {
  return Object.fromEntries(
    fields.map((spec) => {
      // Older Kasm drops these silently; kasmctl refuses them there (the table's `since`).
      const description = spec.since ? `${spec.description} (Kasm ${spec.since}+)` : spec.description
      return [
        spec.flag,
        spec.kind === 'boolean' ? booleanValueFlag({description, helpGroup}) : Flags.string({description, helpGroup, helpValue: helpValues[spec.kind]}),
      ]
    }),
  )
}

/** `zone create` / `zone set`: one flag per zone setting (src/lib/zones/settings.ts), help grouped. */
export function zoneSettingFlags() {
  return fieldTableFlags(ZONE_SETTINGS, 'ZONE SETTINGS', {port: '0-65535', strategy: STRATEGY_NAMES.join('|'), string: 'VALUE'})
}

/** Database commands: read the connection from a web app host's api.app.config.yaml instead of the context. */
export const fromHostFlag = Flags.string({
  description: "connect with the database: block of this host's api.app.config.yaml (a host of the context; read locally or over SSH)",
  helpValue: 'HOST',
})

/** Backup retention (backup create / backup prune); defaults come from the context's `backup:` settings. */
export const backupRetentionFlags = {
  keep: integerFlag({description: 'keep at most N backups of this context (default: backup.keep in the context)', max: 100_000, min: 1}),
  'keep-age': durationFlag({description: 'remove backups older than this, e.g. 14d (default: backup.keepDays in the context)', exclusive: ['keep-days'], range: AGE_RANGE}),
  'keep-days': integerFlag({deprecated: {to: 'keep-age'}, description: 'deprecated: --keep-age Nd', max: 36_500, min: 1}),
  'min-keep': integerFlag({description: 'never go below M verified backups, whatever --keep/--keep-age say (default: backup.minKeep, else 1)', max: 100_000, min: 0}),
}

/** --keep-age in milliseconds, or the deprecated --keep-days converted. */
export function backupKeepAgeMs(flags: {'keep-age'?: number; 'keep-days'?: number}): number | undefined {
  return flags['keep-age'] ?? (flags['keep-days'] === undefined ? undefined : flags['keep-days'] * DAY_MS)
}

export const backupDestFlag = Flags.string({description: 'backup directory (default: backup.dir in the context)'})

/** Agent commands (disable, drain, rotate): the capacity guard. */
export const capacityGuardFlags = {
  headroom: Flags.string({
    default: '1agent',
    description:
      'spare capacity the zone must keep once the sessions of the agents taken out found a place (one by one, on one agent each, as Kasm places them): agents (1agent = the zone could still lose its largest remaining agent and place its sessions on the others; 2agents = its two largest) or sessions (10 = room for 10 more sessions of the largest session in use)',
  }),
  'ignore-capacity': Flags.boolean({description: 'skip the capacity guard (new sessions may then fail to start)'}),
}

/** Why an agent is taken out of service; Kasm has no field for it, so kasmctl keeps it and `agent list` shows it. */
export const reasonFlag = Flags.string({description: 'why (kept by kasmctl, shown by `agent list` and `agent get`)'})

/** How often long waits (drain, rotate) poll the Kasm API. */
export const pollIntervalFlag = durationFlag({default: 5000, defaultHelp: async () => '5s', description: 'how often to poll the Kasm API while waiting', range: {max: TIMER_RANGE.max, min: 100}})

/** Retention's --verify: hash every backup before deciding (backup create, prune, cron). */
export const backupVerifyFlag = {
  verify: Flags.boolean({description: 'before retention decides, hash every backup against its .sha256 (reads every file; else sizes are checked, and files changed since written are hashed)'}),
}
