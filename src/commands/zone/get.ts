import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {ZoneDetails} from '../../lib/zones/view.js'

export default class ZoneGet extends BaseCommand<typeof ZoneGet> {
  static summary = 'Show every field of a zone, its managers and its agents'
  static examples = ['<%= config.bin %> zone get east', '<%= config.bin %> zone get 6b2f0c8e --output yaml', '<%= config.bin %> zone get east --json']
  static completes = {zone: 'zones'}
  static args = {zone: Args.string({description: 'zone name, id or unique id prefix', required: true})}

  async run(): Promise<{zone: ZoneDetails}> {
    const [client, {listZones, zoneDetails}, {resolveZone}] = await Promise.all([
      this.kasm(),
      import('../../lib/zones/view.js'),
      import('../../lib/zones/resolve.js'),
    ])
    const zone = zoneDetails(resolveZone(await listZones(client), this.args.zone))
    const render = this.format === 'table' ? await import('../../lib/zones/render.js') : undefined
    return this.emit({zone}, (data) => render?.renderZoneDetails(data.zone))
  }
}
