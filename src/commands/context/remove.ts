import {Args} from '@oclif/core'

import {BaseCommand, CONTEXT_FREE_FLAGS} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import {dryRunFlag, yesFlag} from '../../flags.js'

export default class ContextRemove extends BaseCommand<typeof ContextRemove> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static completes = {name: 'contexts'}
  static args = {name: Args.string({description: 'context name', required: true})}
  static summary = 'Remove a context from the config file'
  static description = 'Only the local entry goes: nothing changes in Kasm. Removing the current context leaves none selected.'
  static examples = ['<%= config.bin %> context remove old-lab', '<%= config.bin %> context remove old-lab --dry-run']
  static flags = {'dry-run': dryRunFlag, yes: yesFlag}
  static mutates = true

  async run(): Promise<{removed: string; current: null | string; dryRun: boolean}> {
    const {loadConfig, saveConfig} = await import('../../lib/config/store.js')
    const {removeContext} = await import('../../lib/config/contexts.js')
    const loaded = await loadConfig()
    removeContext(loaded, this.args.name)
    const dryRun = this.flags['dry-run'] ?? false
    if (!dryRun) await saveConfig(loaded)
    const result = {current: loaded.file.currentContext ?? null, dryRun, removed: this.args.name}
    return this.emit(result, (r) => `${r.dryRun ? 'Would remove' : 'Removed'} context "${r.removed}".${r.current ? '' : ` No context ${r.dryRun ? 'would be' : 'is'} current: run \`kasmctl context use NAME\`.`}`)
  }
}
