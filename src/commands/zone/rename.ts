import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import type {RenameResult} from '../../lib/zones/operations.js'

export default class ZoneRename extends BaseCommand<typeof ZoneRename> {
  static summary = 'Rename a zone, and print the host edits still needed'
  static description = `Web apps and connection proxies register by zone name (zone_name in their config files). After a
rename, each of them must be told the new name with \`kasmctl host zone-name\`, or its next start registers the old name
again as a new, empty zone. The command prints those edits.`

  static examples = ['<%= config.bin %> zone rename east us-east', '<%= config.bin %> zone rename east us-east --dry-run --json']
  static completes = {old: 'zones'}
  static args = {
    old: Args.string({description: 'zone to rename (name, id or unique id prefix)', required: true}),
    new: Args.string({description: 'new name', required: true}),
  }

  static mutates = true
  static flags = {'dry-run': dryRunFlag, yes: yesFlag}

  async run(): Promise<RenameResult> {
    const [{parseZoneName}, {renameZone}, {resolveZone}, {listZones}] = await Promise.all([
      import('../../lib/zones/settings.js'),
      import('../../lib/zones/operations.js'),
      import('../../lib/zones/resolve.js'),
      import('../../lib/zones/view.js'),
    ])
    const newName = parseZoneName(this.args.new, 'new zone name')
    const [client, {context}] = await Promise.all([this.kasm(), this.resolvedContext()])
    const zones = await listZones(client)
    const zone = resolveZone(zones, this.args.old)
    const result = await renameZone(client, context, {dryRun: Boolean(this.flags['dry-run']), newName, zone, zones})
    return this.emit(result, (r) => {
      const head = r.dry_run ? `would rename zone ${r.before} to ${r.after} (dry run: nothing sent)` : `renamed zone ${r.before} to ${r.after}`
      if (r.host_edits.length === 0) return `${head}\nno web app or connection proxy registers with this zone: no host edit needed`
      const edits = r.host_edits.map((edit) => `  ${edit.command}    # ${edit.role} ${edit.address}`)
      return `${head}\nStill needed, or the next start of these hosts registers "${r.before}" again as a new zone:\n${edits.join('\n')}`
    })
  }
}
