import {BaseCommand} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'

export default class ContextCurrent extends BaseCommand<typeof ContextCurrent> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static summary = 'Show which context commands will use, and why'
  static examples = ['<%= config.bin %> context current', 'KASMCTL_CONTEXT=prod <%= config.bin %> context current --json']

  async run(): Promise<{name: string; source: string; url: string}> {
    const {context, source} = await this.resolvedContext()
    return this.emit({name: context.name, source, url: context.api.url}, (r) => `${r.name}\t(${r.source}, ${r.url})`)
  }
}
