import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import type {ContextView} from '../../lib/config/contexts.js'

export default class ContextShow extends BaseCommand<typeof ContextShow> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static args = {name: Args.string({description: 'context name (default: the selected context)'})}
  static summary = 'Show a context (secrets are described, never shown)'
  static examples = ['<%= config.bin %> context show', '<%= config.bin %> context show prod -o yaml']

  async run(): Promise<ContextView> {
    const {viewContext} = await import('../../lib/config/contexts.js')
    const {findContext} = await import('../../lib/config/store.js')
    const {renderDetails} = await import('../../lib/output/table.js')
    const resolved = this.args.name ? undefined : await this.resolvedContext()
    let view: ContextView
    if (resolved) view = viewContext(resolved.context, resolved.config.file.currentContext)
    else {
      const {loadConfig} = await import('../../lib/config/store.js')
      const loaded = await loadConfig()
      if (loaded.permissionWarning) this.warn(loaded.permissionWarning)
      view = viewContext(findContext(loaded.file, this.args.name!), loaded.file.currentContext)
    }

    return this.emit(view, (v) =>
      renderDetails([
        ['name', v.name],
        ['current', v.current],
        ['api url', v.apiUrl],
        ['api key', v.apiKey],
        ['api secret', v.apiSecret],
        ['auth', v.auth],
        ['tls', v.tls],
        ['database', v.database ? `${v.database.url} (password: ${v.database.password})` : null],
        ['hosts', v.hosts.map((h) => `${h.name} [${h.roles.join('+')}]${h.ssh ? ` ssh:${h.ssh}` : ''}`).join(', ') || null],
        ['proxies', v.proxies.join(', ') || null],
        ['backup', v.backup ? v.backup.dir : null],
        ['default zone', v.defaultZone],
        ['enclaves', v.enclaves.join(', ') || null],
      ]),
    )
  }
}
