import {Args} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {COMPLETION_CLIENT, NAME_SOURCES, type NameSource} from '../lib/completion/names.js'

/** Called by the completion script (`kasmctl autocomplete`) at a TAB that completes a name. */
export default class Complete extends BaseCommand<typeof Complete> {
  static hidden = true
  static summary = 'Print the names that shell completion offers (contexts, zones, agents), one per line'
  static examples = [
    '<%= config.bin %> __complete contexts',
    {command: '<%= config.bin %> __complete zones --context prod --json', description: 'The zones of a context, as the completion script asks for them with --context on the line:'},
  ]

  static args = {source: Args.string({description: 'what to name', options: [...NAME_SOURCES], required: true})}

  async run(): Promise<{names: string[]}> {
    const source = this.args.source as NameSource
    const {contextNames, deploymentNames} = await import('../lib/completion/names.js')
    const names = source === 'contexts' ? await contextNames() : await deploymentNames(await this.kasm(COMPLETION_CLIENT), source)
    return this.emit({names}, (r) => r.names.join('\n'))
  }
}
