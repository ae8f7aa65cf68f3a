import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'

export default class ContextUse extends BaseCommand<typeof ContextUse> {
  static args = {name: Args.string({description: 'context name', required: true})}
  static summary = 'Make a context the current one'
  static examples = ['<%= config.bin %> context use prod']

  async run(): Promise<{current: string}> {
    const {loadConfig, saveConfig} = await import('../../lib/config/store.js')
    const {useContext} = await import('../../lib/config/contexts.js')
    const loaded = await loadConfig()
    useContext(loaded, this.args.name)
    await saveConfig(loaded)
    return this.emit({current: this.args.name}, (r) => `Switched to context "${r.current}".`)
  }
}
