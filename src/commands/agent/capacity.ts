import {BaseCommand} from '../../base-command.js'
import {zoneFlag} from '../../flags.js'
import type {ZoneCapacityView} from '../../lib/agents/capacity.js'

export default class AgentCapacity extends BaseCommand<typeof AgentCapacity> {
  static summary = 'Session capacity per zone, and whether each zone can lose one (N+1) or two (N+2) agents'
  static description = `Capacity counts the agents that take new sessions (enabled and running) with their cores and memory (the overrides when set), against what every session on the zone's agents uses. Session counts assume sessions of the zone's average size. N+1 / N+2: the zone still holds its current sessions after losing any one / two of those agents.`

  static examples = ['<%= config.bin %> agent capacity', '<%= config.bin %> agent capacity --zone default --json']
  static flags = {zone: zoneFlag}

  async run(): Promise<{zones: ZoneCapacityView[]}> {
    const [client, {loadFleet}, {capacityView, computeZoneCapacity}, {resolveZone}, {renderCapacity}] = await Promise.all([
      this.kasm(),
      import('../../lib/agents/agents.js'),
      import('../../lib/agents/capacity.js'),
      import('../../lib/agents/resolve.js'),
      import('../../lib/agents/render.js'),
    ])
    const [fleet, zones] = await Promise.all([loadFleet(client), client.getZones({brief: true})])
    const only = this.flags.zone ? resolveZone(zones, this.flags.zone) : undefined
    const capacity = computeZoneCapacity(fleet.servers, fleet.kasms, zones)
      .filter((z) => !only || z.zoneId === only.zone_id)
      .map((z) => capacityView(z))
    return this.emit({zones: capacity}, (r) => renderCapacity(r.zones, this.term))
  }
}
