import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, zoneSettingFlags, yesFlag} from '../../flags.js'
import {UsageError} from '../../lib/errors.js'
import type {SetResult} from '../../lib/zones/operations.js'

export default class ZoneSet extends BaseCommand<typeof ZoneSet> {
  static summary = 'Change zone settings; prints each changed field as before → after'
  static description = `Without ZONE: the context's default zone, else a pick list on a terminal, else an error listing the zones.
Boolean settings take --flag, --no-flag or --flag=true|false|yes|no|1|0. Only the fields that differ are sent; when none
differ the zone is "unchanged" and nothing is sent.`

  static examples = [
    '<%= config.bin %> zone set --search-alternate=false',
    '<%= config.bin %> zone set enclave --no-search-alternate --load-strategy least-sessions',
    '<%= config.bin %> zone set east --upstream-auth-address api.internal.example.com --dry-run',
    '<%= config.bin %> zone set east --proxy-hostname kasm.example.com --proxy-port 0 --json',
  ]

  static completes = {zone: 'zones'}
  static args = {zone: Args.string({description: 'zone name, id or unique id prefix (default: the context\'s default zone)'})}
  static mutates = true
  static flags = {'dry-run': dryRunFlag, yes: yesFlag, ...zoneSettingFlags()}

  async run(): Promise<SetResult> {
    const [{settingsFromFlags}, {setZone}, {chooseZone}, {listZones}, {formatChanges}] = await Promise.all([
      import('../../lib/zones/settings.js'),
      import('../../lib/zones/operations.js'),
      import('../../lib/zones/resolve.js'),
      import('../../lib/zones/view.js'),
      import('../../lib/zones/changes.js'),
    ])
    const settings = settingsFromFlags(this.flags as Record<string, unknown>)
    if (Object.keys(settings).length === 0) {
      throw new UsageError('nothing to set: give at least one setting flag', {hint: 'see `kasmctl zone set --help` for the ZONE SETTINGS flags'})
    }

    const [client, {context}] = await Promise.all([this.kasm(), this.resolvedContext()])
    const zone = await chooseZone(await listZones(client), this.args.zone, {context, interactive: this.term.interactive})
    const result = await setZone(client, zone, settings, {dryRun: Boolean(this.flags['dry-run'])})
    return this.emit(result, (r) => {
      if (r.changes.length === 0) return `zone ${r.zone_name} unchanged`
      const verb = r.dry_run ? 'would change (dry run: nothing sent)' : 'changed'
      return `zone ${r.zone_name} ${verb}:\n${formatChanges(r.changes)}`
    })
  }
}
