import {Args} from '@oclif/core'

import {BaseCommand, CONTEXT_FREE_FLAGS} from '../base-command.js'
import {exitCodeHelp} from '../lib/errors.js'
import {SHELLS, type Shell, type ShellSetup} from '../lib/completion/shells.js'

export type AutocompleteJson = {shell: Shell; script: string} | {shells: ShellSetup[]}

export default class Autocomplete extends BaseCommand<typeof Autocomplete> {
  static exitCodes = exitCodeHelp([0, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static summary = 'Print the shell completion script (bash, zsh), or how to turn completion on'
  static description = `Completes commands, topics, flags and the values of flags that have a fixed set (-o table|json|yaml).
The script holds the whole command tree, so TAB does not start kasmctl; regenerate it after an upgrade.
Names (--context, context use NAME, zone get ZONE, agent drain AGENT...) are asked of kasmctl at that TAB,
in the context given on the line; zones and agents come from Kasm, which gets 2 s to answer.
Without SHELL: how to turn completion on in bash and zsh.`

  static examples = [
    '<%= config.bin %> autocomplete',
    {command: 'source <(<%= config.bin %> autocomplete bash)', description: 'Completion in this bash (add the line to ~/.bashrc for every bash; the same for zsh):'},
    {command: '<%= config.bin %> autocomplete bash > /usr/share/bash-completion/completions/<%= config.bin %>', description: 'What a package installs:'},
  ]

  static args = {shell: Args.string({description: 'shell to print the completion script for', options: [...SHELLS]})}

  async run(): Promise<AutocompleteJson> {
    const [{completionScript, renderShellSetups, shellSetups}, {completionTree}] = await Promise.all([
      import('../lib/completion/shells.js'),
      import('../lib/completion/tree.js'),
    ])
    const {bin} = this.config
    const shell = this.args.shell as Shell | undefined
    if (!shell) return this.emit({shells: shellSetups(bin)}, (r) => renderShellSetups(bin, r.shells))
    const tree = completionTree(bin, this.config.commands, BaseCommand.baseFlags, {contextFlag: 'context', flagSources: {context: 'contexts'}, helpCommand: 'help'})
    return this.emit({script: completionScript(shell, tree), shell}, (r) => r.script.trimEnd())
  }
}
