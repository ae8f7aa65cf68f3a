import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import type {AutoscaleSetResult} from '../../lib/autoscale/configs.js'
import {AUTOSCALE_EXIT_CODES} from '../../lib/autoscale/exit-codes.js'

export default class AutoscaleEnable extends BaseCommand<typeof AutoscaleEnable> {
  static summary = 'Turn an autoscale config on: Kasm scales its pool again'
  static description = 'Sends the whole config with enabled: true (as `autoscale set --enabled=true`). Already enabled: reported, nothing sent (exit 0).'
  static examples = ['<%= config.bin %> autoscale enable rdp-autoscale --dry-run', '<%= config.bin %> autoscale enable rdp-autoscale --yes --json']
  static args = {config: Args.string({description: 'autoscale config name, id or unique id prefix', required: true})}
  static mutates = true
  static flags = {'dry-run': dryRunFlag, yes: yesFlag}
  static exitCodes = AUTOSCALE_EXIT_CODES

  async run(): Promise<AutoscaleSetResult> {
    const [{changeConfig}, {renderPendingChanges, renderSetResult}] = await Promise.all([import('../../lib/autoscale/configs.js'), import('../../lib/autoscale/render.js')])
    const result = await changeConfig(await this.kasm(), this.args.config, {enabled: true}, {
      dryRun: Boolean(this.flags['dry-run']),
      interactive: this.term.interactive,
      preview: (planned) => this.log(renderPendingChanges(planned)),
      yes: this.flags.yes,
    })
    return this.emit(result, renderSetResult)
  }
}
