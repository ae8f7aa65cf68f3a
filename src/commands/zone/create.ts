import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, zoneSettingFlags, yesFlag} from '../../flags.js'
import type {CreateResult} from '../../lib/zones/operations.js'

export default class ZoneCreate extends BaseCommand<typeof ZoneCreate> {
  static summary = 'Create a deployment zone; settings not given get Kasm\'s defaults'
  static examples = [
    '<%= config.bin %> zone create east',
    '<%= config.bin %> zone create enclave --search-alternate=false --load-strategy most-sessions',
    '<%= config.bin %> zone create west --proxy-hostname kasm-west.example.com --proxy-port 443 --dry-run',
  ]

  static args = {name: Args.string({description: 'name of the new zone (web apps register by this exact name)', required: true})}
  static mutates = true
  static flags = {'dry-run': dryRunFlag, yes: yesFlag, ...zoneSettingFlags()}

  async run(): Promise<CreateResult> {
    const [{parseZoneName, settingsFromFlags}, {createZone}] = await Promise.all([
      import('../../lib/zones/settings.js'),
      import('../../lib/zones/operations.js'),
    ])
    // Validate everything before the first request.
    const name = parseZoneName(this.args.name, 'zone name')
    const settings = settingsFromFlags(this.flags as Record<string, unknown>)
    const result = await createZone(await this.kasm(), name, settings, {dryRun: Boolean(this.flags['dry-run'])})
    return this.emit(result, (r) =>
      r.dry_run ? `would create zone ${r.zone.zone_name} (dry run: nothing sent)` : `created zone ${r.zone.zone_name} (${r.zone.zone_id})`,
    )
  }
}
