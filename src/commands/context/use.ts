import {Args} from '@oclif/core'

import {BaseCommand, CONTEXT_FREE_FLAGS} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import {dryRunFlag, yesFlag} from '../../flags.js'

export default class ContextUse extends BaseCommand<typeof ContextUse> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static completes = {name: 'contexts'}
  static args = {name: Args.string({description: 'context name', required: true})}
  static summary = 'Make a context the current one'
  static examples = ['<%= config.bin %> context use prod']
  static flags = {'dry-run': dryRunFlag, yes: yesFlag}
  static mutates = true

  async run(): Promise<{current: string; dryRun: boolean}> {
    const {loadConfig, saveConfig} = await import('../../lib/config/store.js')
    const {useContext} = await import('../../lib/config/contexts.js')
    const loaded = await loadConfig()
    useContext(loaded, this.args.name)
    const dryRun = this.flags['dry-run'] ?? false
    if (!dryRun) await saveConfig(loaded)
    return this.emit({current: this.args.name, dryRun}, (r) => `${r.dryRun ? 'Would switch' : 'Switched'} to context "${r.current}".`)
  }
}
