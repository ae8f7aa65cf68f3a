import {BaseCommand} from '../../../base-command.js'
import {AGE_RANGE, dryRunFlag, durationFlag, integerFlag, yesFlag} from '../../../flags.js'
import {formatDuration} from '../../../lib/duration.js'
import type {Retention, RetentionChange} from '../../../lib/db/retention.js'
import {OperationError, UsageError} from '../../../lib/errors.js'
import {confirmYesNo} from '../../../lib/output/prompt.js'

const HOUR_MS = 3_600_000
const DAY_MS = 24 * HOUR_MS
/** Kasm keeps logs by the day and DEBUG logs by the hour: 0 (off) up to 100 years. */
const RETENTION_RANGE = {max: AGE_RANGE.max, min: 0}

export interface RetentionSetJson {
  dryRun: boolean
  changes: RetentionChange[]
  retention: Retention
}

export default class DbRetentionSet extends BaseCommand<typeof DbRetentionSet> {
  static summary = "Change Kasm's log retention through the API (update_setting)"
  static description =
    "Values go to Kasm as strings through update_setting, one call per setting, as Kasm's UI does. 0 disables database logging for that class: forward logs to a SIEM first (Kasm Admin → Settings → Logging); it asks for confirmation."

  static examples = [
    '<%= config.bin %> db retention set --log-retention 14d',
    '<%= config.bin %> db retention set --log-retention 7d --debug-retention 4h --dry-run',
    '<%= config.bin %> db retention set --log-retention 0 --debug-retention 0 --yes',
  ]

  static mutates = true
  static flags = {
    'log-retention': durationFlag({description: 'keep logs this long, in whole days, e.g. 14d (log_retention; 0 disables database logging)', exclusive: ['days'], range: RETENTION_RANGE}),
    'debug-retention': durationFlag({description: 'keep DEBUG logs this long, in whole hours, e.g. 4h (debug_retention; 0 disables DEBUG database logging)', exclusive: ['debug-hours'], range: RETENTION_RANGE}),
    days: integerFlag({deprecated: {to: 'log-retention'}, description: 'deprecated: --log-retention Nd', max: 36_500, min: 0}),
    'debug-hours': integerFlag({deprecated: {to: 'debug-retention'}, description: 'deprecated: --debug-retention Nh', max: 876_000, min: 0}),
    'dry-run': dryRunFlag,
    yes: yesFlag,
  }

  async run(): Promise<RetentionSetJson> {
    const {flags} = this
    const days = flags.days ?? wholeUnits(flags['log-retention'], DAY_MS, '--log-retention', 'days')
    const debugHours = flags['debug-hours'] ?? wholeUnits(flags['debug-retention'], HOUR_MS, '--debug-retention', 'hours')
    if (days === undefined && debugHours === undefined) {
      throw new UsageError('nothing to change: give --log-retention, --debug-retention or both', {hint: 'see the current values with `kasmctl db retention get`'})
    }

    const {applyRetention, planRetention} = await import('../../../lib/db/retention.js')
    const client = await this.kasm()
    const {changes, current, settings} = await planRetention(client, {days, debugHours})
    const render = (r: RetentionSetJson): string => describe(r)
    if (this.flags['dry-run'] || changes.length === 0) return this.emit({changes, dryRun: this.flags['dry-run'], retention: current}, render)

    const disabling = changes.filter((c) => c.to === 0).map((c) => (c.setting === 'log_retention' ? 'all logs' : 'DEBUG logs'))
    if (disabling.length > 0) {
      const question = `Retention 0 stops Kasm from keeping ${disabling.join(' and ')} in its database (the dashboard and log panels go empty). Forward logs to a SIEM first (Kasm Admin → Settings → Logging). Continue?`
      if (!(await confirmYesNo(question, {interactive: this.term.interactive, yes: this.flags.yes}))) {
        throw new OperationError('cancelled: no setting was changed', {code: 'CANCELLED'})
      }
    }

    const retention = await applyRetention(client, settings, changes)
    return this.emit({changes, dryRun: false, retention}, render)
  }
}

/** A duration flag as the whole number of days or hours Kasm takes; a remainder is a usage error naming it. */
function wholeUnits(ms: number | undefined, unitMs: number, flag: string, unit: string): number | undefined {
  if (ms === undefined) return undefined
  if (ms % unitMs !== 0) throw new UsageError(`${flag} ${formatDuration(ms)} is not a whole number of ${unit}: Kasm keeps it in ${unit}`)
  return ms / unitMs
}

function describe(result: RetentionSetJson): string {
  if (result.changes.length === 0) return 'Nothing to change: the retention already has these values.'
  const unit = (c: RetentionChange): string => (c.setting === 'log_retention' ? 'days' : 'hours')
  const lines = result.changes.map((c) => `${c.setting}: ${c.from} → ${c.to} ${unit(c)}`)
  return `${result.dryRun ? 'Would change (dry run):' : 'Changed:'}\n  ${lines.join('\n  ')}`
}
