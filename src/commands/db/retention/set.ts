import {BaseCommand} from '../../../base-command.js'
import {dryRunFlag, integerFlag, yesFlag} from '../../../flags.js'
import type {Retention, RetentionChange} from '../../../lib/db/retention.js'
import {OperationError, UsageError} from '../../../lib/errors.js'
import {confirmYesNo} from '../../../lib/output/prompt.js'

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
    '<%= config.bin %> db retention set --days 14',
    '<%= config.bin %> db retention set --days 7 --debug-hours 4 --dry-run',
    '<%= config.bin %> db retention set --days 0 --debug-hours 0 --yes',
  ]

  static mutates = true
  static flags = {
    days: integerFlag({description: 'keep logs this many days (log_retention; 0 disables database logging)', max: 36_500, min: 0}),
    'debug-hours': integerFlag({description: 'keep DEBUG logs this many hours (debug_retention; 0 disables DEBUG database logging)', max: 876_000, min: 0}),
    'dry-run': dryRunFlag,
    yes: yesFlag,
  }

  async run(): Promise<RetentionSetJson> {
    const {days, 'debug-hours': debugHours} = this.flags
    if (days === undefined && debugHours === undefined) {
      throw new UsageError('nothing to change: give --days, --debug-hours or both', {hint: 'see the current values with `kasmctl db retention get`'})
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

function describe(result: RetentionSetJson): string {
  if (result.changes.length === 0) return 'Nothing to change: the retention already has these values.'
  const unit = (c: RetentionChange): string => (c.setting === 'log_retention' ? 'days' : 'hours')
  const lines = result.changes.map((c) => `${c.setting}: ${c.from} → ${c.to} ${unit(c)}`)
  return `${result.dryRun ? 'Would change (dry run):' : 'Changed:'}\n  ${lines.join('\n  ')}`
}
