import {Command, CommandHelp, Help} from '@oclif/core'

import {ENVIRONMENT} from './lib/environment.js'

/**
 * Every command's --help: EXIT CODES from the command's own `exitCodes` declaration, and an
 * ENVIRONMENT section with every KASMCTL_* variable.
 */
class KasmctlCommandHelp extends CommandHelp {
  protected sections(): ReturnType<CommandHelp['sections']> {
    const codes = (this.command as Command.Loadable & {exitCodes?: string[]}).exitCodes
    const width = Math.max(...ENVIRONMENT.map(([name]) => name.length))
    return [
      ...super.sections(),
      ...(codes?.length ? [{generate: () => codes.join('\n'), header: 'EXIT CODES'}] : []),
      {generate: () => ENVIRONMENT.map(([name, meaning]) => `${name.padEnd(width)}  ${meaning}`).join('\n'), header: 'ENVIRONMENT'},
    ]
  }

  /**
   * oclif renders a flag exclusive with one that an earlier group already took as an empty
   * alternative (`[--detach | ]`): drop the empty alternatives.
   */
  protected usage(): string {
    return super.usage().replaceAll(/ \| (?=[\])])/g, '')
  }
}

export default class KasmctlHelp extends Help {
  protected CommandHelpClass = KasmctlCommandHelp

  /** `kasmctl --context lab zone list --help` is the help of `zone list`: global flags before the command are skipped. */
  public async showHelp(argv: string[]): Promise<void> {
    const [{globalFlagSpecs}, {leadingGlobalFlags}] = await Promise.all([import('./base-command.js'), import('./lib/argv.js')])
    return super.showHelp(argv.slice(leadingGlobalFlags(argv, globalFlagSpecs())))
  }
}
