import {Args} from '@oclif/core'

import {BaseCommand} from './base-command.js'
import {dryRunFlag, yesFlag} from './flags.js'
import type {AutoscaleSetResult} from './lib/autoscale/configs.js'
import {AUTOSCALE_EXIT_CODES} from './lib/autoscale/exit-codes.js'

/**
 * `autoscale enable` and `autoscale disable`: one command that sends the config with `enabled` set to the
 * subclass's value. Lives outside src/commands because oclif loads every file there as a command.
 */
export abstract class AutoscaleToggleCommand extends BaseCommand<typeof AutoscaleToggleCommand> {
  static args = {config: Args.string({description: 'autoscale config name, id or unique id prefix', required: true})}
  static exitCodes = AUTOSCALE_EXIT_CODES
  static flags = {'dry-run': dryRunFlag, yes: yesFlag}
  static mutates = true

  /** The value of `enabled` this command sends. */
  protected abstract readonly enabled: boolean

  async run(): Promise<AutoscaleSetResult> {
    const [{changeConfig}, {renderPendingChanges, renderSetResult}] = await Promise.all([import('./lib/autoscale/configs.js'), import('./lib/autoscale/render.js')])
    const result = await changeConfig(await this.kasm(), this.args.config, {enabled: this.enabled}, {
      dryRun: Boolean(this.flags['dry-run']),
      interactive: this.term.interactive,
      preview: (planned) => this.log(renderPendingChanges(planned)),
      yes: this.flags.yes,
    })
    return this.emit(result, renderSetResult)
  }
}
