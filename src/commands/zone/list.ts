import {BaseCommand} from '../../base-command.js'
import type {ZoneView} from '../../lib/zones/view.js'

export default class ZoneList extends BaseCommand<typeof ZoneList> {
  static summary = 'List deployment zones with their load strategy, proxy, agents and sessions'
  static examples = ['<%= config.bin %> zone list', '<%= config.bin %> zone list --output yaml', '<%= config.bin %> zone list --json']

  async run(): Promise<{zones: ZoneView[]}> {
    // One get_zones call: it carries each zone's servers, so agent counts need no second request.
    const [client, {listZones, zoneView}] = await Promise.all([this.kasm(), import('../../lib/zones/view.js')])
    const zones = (await listZones(client)).map((zone) => zoneView(zone))
    const render = this.format === 'table' ? await import('../../lib/zones/render.js') : undefined
    return this.emit({zones}, (data) => render?.renderZoneList(data.zones))
  }
}
