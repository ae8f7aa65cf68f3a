import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {zoneFlag} from '../../flags.js'
import type {ZoneCapacityView} from '../../lib/agents/capacity.js'

export default class AgentCapacity extends BaseCommand<typeof AgentCapacity> {
  static summary = 'How many more sessions of each image fit per zone: now, after losing the largest agent (N+1) and the two largest (N+2)'
  static description = `Counts the way Kasm places sessions: each session goes to ONE agent whose own free cores, memory and gpus hold the image (the agent's overrides when set; only running, starting, deleting, pausing and stopping sessions use resources, paused and stopped ones do not; an image never gets more cores than the agent physically has). A zone's free resources are never pooled: three agents with 3 free cores each have room for no 4-core session. N+1 / N+2: the largest one / two available agents are lost, their running sessions are placed one by one (largest first, the zone's load strategy) on the others, and what is left is counted. Images: those with sessions (get_images, permission IMAGES_VIEW 900), or the one --image names.`

  static examples = [
    '<%= config.bin %> agent capacity',
    '<%= config.bin %> agent capacity --zone default --image "Ubuntu Desktop"',
    '<%= config.bin %> agent capacity --json',
  ]

  static flags = {
    image: Flags.string({description: 'count this image (id, name or friendly name) instead of the images in use'}),
    zone: zoneFlag,
  }

  async run(): Promise<{zones: ZoneCapacityView[]}> {
    const [client, {loadFleet}, capacity, {resolveZone}, {renderCapacity}] = await Promise.all([
      this.kasm(),
      import('../../lib/agents/agents.js'),
      import('../../lib/agents/capacity.js'),
      import('../../lib/agents/resolve.js'),
      import('../../lib/agents/render.js'),
    ])
    const [fleet, images] = await Promise.all([loadFleet(client, {zones: true}), client.getImages()])
    const zones = fleet.zones ?? []
    const only = this.flags.zone ? resolveZone(zones, this.flags.zone) : undefined
    const counted = this.flags.image ? [capacity.resolveImage(images, this.flags.image)] : capacity.imagesInUse(images, fleet.kasms)
    const views = capacity
      .computeZoneCapacity(fleet.servers, fleet.kasms, zones)
      .filter((z) => !only || z.zoneId === only.zone_id)
      .map((z) => capacity.capacityView(z, counted))
    return this.emit({zones: views}, (r) => renderCapacity(r.zones, this.term))
  }
}
