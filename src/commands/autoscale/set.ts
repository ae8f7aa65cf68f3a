import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import {autoscaleFieldFlags} from '../../table-flags.js'
import type {AutoscaleSetResult} from '../../lib/autoscale/configs.js'
import {AUTOSCALE_EXIT_CODES} from '../../lib/autoscale/exit-codes.js'
import {UsageError} from '../../lib/errors.js'

export default class AutoscaleSet extends BaseCommand<typeof AutoscaleSet> {
  static summary = 'Change an autoscale config; prints each changed field as before → after'
  static description = `Kasm receives the WHOLE config with the changes, as the admin UI sends it (whether Kasm's update is
partial is unverified). Memory takes sizes (8GiB, 512MiB, 16GB), the backoff a duration (0, 90s, 10m). On Kasm 1.15
memory is sent in its MB/GB fields; --max-users-per-server needs 1.19. When nothing differs, nothing is sent. Asks
before sending unless --yes (required when stdin is not a terminal).`

  static examples = [
    '<%= config.bin %> autoscale set rdp-autoscale --min-available 4 --max-sessions-per-server 2 --dry-run',
    '<%= config.bin %> autoscale set rdp-autoscale --downscale-backoff 10m --require-checkin --yes',
    '<%= config.bin %> autoscale set east-autoscale --standby-cores 8 --standby-memory 16GiB --aggressive=false --yes --json',
  ]

  static args = {config: Args.string({description: 'autoscale config name, id or unique id prefix', required: true})}
  static mutates = true
  static flags = {'dry-run': dryRunFlag, yes: yesFlag, ...autoscaleFieldFlags()}
  static exitCodes = AUTOSCALE_EXIT_CODES

  async run(): Promise<AutoscaleSetResult> {
    const [{autoscaleSettingsFromFlags}, {changeConfig}, {renderPendingChanges, renderSetResult}] = await Promise.all([
      import('../../lib/autoscale/fields.js'),
      import('../../lib/autoscale/configs.js'),
      import('../../lib/autoscale/render.js'),
    ])
    const settings = autoscaleSettingsFromFlags(this.flags as Record<string, unknown>)
    if (Object.keys(settings).length === 0) {
      throw new UsageError('nothing to set: give at least one field flag', {hint: 'see `kasmctl autoscale set --help` for the AUTOSCALE FIELDS flags'})
    }

    const result = await changeConfig(await this.kasm(), this.args.config, settings, {
      dryRun: Boolean(this.flags['dry-run']),
      interactive: this.term.interactive,
      preview: (planned) => this.log(renderPendingChanges(planned)),
      yes: this.flags.yes,
    })
    return this.emit(result, renderSetResult)
  }
}
