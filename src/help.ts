import {Command, CommandHelp, Help} from '@oclif/core'

/** Adds an EXIT CODES section, read from each command's static `exitCodes`, to every command's --help. */
class KasmctlCommandHelp extends CommandHelp {
  protected sections(): ReturnType<CommandHelp['sections']> {
    const codes = (this.command as Command.Loadable & {exitCodes?: string[]}).exitCodes
    if (!codes?.length) return super.sections()
    return [
      ...super.sections(),
      {generate: () => codes.join('\n'), header: 'EXIT CODES'},
    ]
  }
}

export default class KasmctlHelp extends Help {
  protected CommandHelpClass = KasmctlCommandHelp
}
