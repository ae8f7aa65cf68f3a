import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'

export default class ContextRemove extends BaseCommand<typeof ContextRemove> {
  static args = {name: Args.string({description: 'context name', required: true})}
  static summary = 'Remove a context from the config file'
  static description = 'Only the local entry goes: nothing changes in Kasm. Removing the current context leaves none selected.'
  static examples = ['<%= config.bin %> context remove old-lab']

  async run(): Promise<{removed: string; current: null | string}> {
    const {loadConfig, saveConfig} = await import('../../lib/config/store.js')
    const {removeContext} = await import('../../lib/config/contexts.js')
    const loaded = await loadConfig()
    removeContext(loaded, this.args.name)
    await saveConfig(loaded)
    const result = {current: loaded.file.currentContext ?? null, removed: this.args.name}
    return this.emit(result, (r) => `Removed context "${r.removed}".${r.current ? '' : ' No context is current now: run `kasmctl context use NAME`.'}`)
  }
}
