import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import {OperationError} from '../../lib/errors.js'
import type {DeleteResult} from '../../lib/zones/operations.js'

export default class ZoneDelete extends BaseCommand<typeof ZoneDelete> {
  static summary = 'Delete a deployment zone (typed confirmation, or --yes)'
  static description = `Kasm refuses to delete a zone that managers or servers still use; kasmctl then lists them.
Web apps register by zone name: a zone deleted while a web app is still configured with its name comes back on the next start.`

  static examples = ['<%= config.bin %> zone delete west', '<%= config.bin %> zone delete west --dry-run', '<%= config.bin %> zone delete west --yes --json']
  static completes = {zone: 'zones'}
  static args = {zone: Args.string({description: 'zone name, id or unique id prefix', required: true})}
  static mutates = true
  static flags = {'dry-run': dryRunFlag, yes: yesFlag}

  async run(): Promise<DeleteResult> {
    const [client, {deleteZone}, {resolveZone}, {listZones, zoneLabel}, {confirmTyped}] = await Promise.all([
      this.kasm(),
      import('../../lib/zones/operations.js'),
      import('../../lib/zones/resolve.js'),
      import('../../lib/zones/view.js'),
      import('../../lib/output/prompt.js'),
    ])
    const zone = resolveZone(await listZones(client), this.args.zone)
    const dryRun = Boolean(this.flags['dry-run'])
    const {context} = await this.resolvedContext()
    if (context.defaultZone === zone.zone_name) this.warn(`zone ${zone.zone_name} is the default zone of context "${context.name}"`)
    if (!dryRun) {
      const confirmed = await confirmTyped(`Delete zone ${zoneLabel(zone)}?`, zone.zone_name, {interactive: this.term.interactive, yes: this.flags.yes})
      if (!confirmed) throw new OperationError('not confirmed: nothing was deleted', {code: 'NOT_CONFIRMED'})
    }

    const result = await deleteZone(client, zone, {dryRun})
    return this.emit(result, (r) => {
      if (!r.dry_run) return `deleted zone ${r.zone_name} (${r.zone_id})`
      const users = [...r.in_use_by.managers.map((m) => `manager ${m.manager_hostname}`), ...r.in_use_by.servers.map((s) => `server ${s.hostname}`)]
      const blockers = users.length > 0 ? `; Kasm will refuse: it is used by ${users.join(', ')}` : ''
      return `would delete zone ${r.zone_name} (dry run: nothing sent)${blockers}`
    })
  }
}
