import {BaseCommand} from '../../base-command.js'
import type {ZoneView} from '../../lib/zones/view.js'

export default class ZoneList extends BaseCommand<typeof ZoneList> {
  static summary = 'List deployment zones with their load strategy, proxy, agents and sessions'
  static examples = ['<%= config.bin %> zone list', '<%= config.bin %> zone list --output yaml', '<%= config.bin %> zone list --json']

  async run(): Promise<{zones: ZoneView[]}> {
    const [client, {listZones, zoneView}] = await Promise.all([this.kasm(), import('../../lib/zones/view.js')])
    const zones = (await listZones(client)).map((zone) => zoneView(zone))
    if (this.format !== 'table') return this.emit({zones}, () => '')

    const [{renderTable}, {proxySummary}, {displayValue}, {shortId}] = await Promise.all([
      import('../../lib/output/table.js'),
      import('../../lib/zones/view.js'),
      import('../../lib/zones/settings.js'),
      import('../../lib/kasm/ids.js'),
    ])
    return this.emit({zones}, (data) =>
      renderTable<ZoneView>(
        [
          {get: (z) => z.zone_name, header: 'name'},
          {get: (z) => shortId(z.zone_id), header: 'id'},
          {get: (z) => displayValue('load_strategy', z.load_strategy), header: 'strategy'},
          {get: (z) => z.search_alternate_zones, header: 'search-alt'},
          {get: (z) => proxySummary(z), header: 'proxy'},
          {align: 'right', get: (z) => `${z.agents.enabled}/${z.agents.total}`, header: 'agents'},
          {align: 'right', get: (z) => z.sessions, header: 'sessions'},
        ],
        data.zones,
      ),
    )
  }
}
