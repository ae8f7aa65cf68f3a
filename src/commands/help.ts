import {Args, Flags} from '@oclif/core'

import {BaseCommand, CONTEXT_FREE_FLAGS} from '../base-command.js'
import {exitCodeHelp} from '../lib/errors.js'

export interface HelpJson {
  /** The command or topic asked about (`zone list`), null for the overview. */
  subject: null | string
  help: string
}

export default class Help extends BaseCommand<typeof Help> {
  static exitCodes = exitCodeHelp([0, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static summary = 'Display help for <%= config.bin %>, a topic or a command'
  static examples = ['<%= config.bin %> help zone', '<%= config.bin %> help zone list', '<%= config.bin %> help --nested-commands']
  static args = {command: Args.string({description: 'command or topic to show help for'})}
  static flags = {'nested-commands': Flags.boolean({char: 'n', description: 'include all nested commands in the output'})}
  static strict = false

  async run(): Promise<HelpJson> {
    const [{default: KasmctlHelp}, {unknownCommand}] = await Promise.all([import('../help.js'), import('../hooks/command-not-found.js')])
    const words = this.positionals
    const id = words.join(':')
    if (id && !this.config.findCommand(id) && !this.config.findTopic(id)) throw unknownCommand(words, this.config)
    // The help text is kept, not printed, so that --json and -o yaml can carry it.
    const lines: string[] = []
    const help = new (class extends KasmctlHelp {
      protected log(...args: string[]): void {
        lines.push(args.join(' '))
      }
    })(this.config, {all: this.flags['nested-commands']})
    await help.showHelp(words)
    return this.emit({help: lines.join('\n'), subject: words.length > 0 ? words.join(' ') : null}, (r) => r.help)
  }
}
