import {BaseCommand, CONTEXT_FREE_FLAGS} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import type {ContextView} from '../../lib/config/contexts.js'

export default class ContextList extends BaseCommand<typeof ContextList> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static summary = 'List contexts'
  static examples = ['<%= config.bin %> context list', '<%= config.bin %> context list --json']

  async run(): Promise<{contexts: ContextView[]; current: null | string}> {
    const {loadConfig} = await import('../../lib/config/store.js')
    const {viewContext} = await import('../../lib/config/contexts.js')
    const {renderTable} = await import('../../lib/output/table.js')
    const loaded = await loadConfig()
    if (loaded.permissionWarning) this.warn(loaded.permissionWarning)
    const current = loaded.file.currentContext ?? null
    const contexts = loaded.file.contexts.map((c) => viewContext(c, current ?? undefined))
    return this.emit({contexts, current}, (r) =>
      r.contexts.length === 0
        ? 'No contexts. Run `kasmctl context add` or `kasmctl sandbox up`.'
        : renderTable(
            [
              {get: (c: ContextView) => (c.current ? '*' : ''), header: 'current'},
              {get: (c) => c.name, header: 'name'},
              {get: (c) => c.apiUrl, header: 'api url'},
              {get: (c) => c.auth, header: 'auth'},
              {get: (c) => c.tls, header: 'tls'},
              {get: (c) => (c.database ? 'yes' : 'no'), header: 'database'},
              {get: (c) => c.hosts.length, header: 'hosts'},
            ],
            r.contexts,
          ),
    )
  }
}
