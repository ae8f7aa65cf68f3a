import {
  type AgentCapacity,
  agentCapacities,
  freeResources,
  groupByImage,
  imageAllowedIn,
  imageLabel,
  imageLoad,
  type ImageShortfall,
  largestSession,
  type LossOutcome,
  loseLargest,
  type Resources,
  slotsIn,
  type SessionLoad,
  sumResources,
  usedResources,
  type ZonePolicy,
  zonePolicy,
} from '../capacity/index.js'
import {sameId} from '../kasm/ids.js'
import type {Image, Kasm, Server, Zone} from '../kasm/types.js'
import {resolveRef} from '../zones/resolve.js'

export {isAvailable} from '../capacity/index.js'

/** Every session on the agent, whatever its state. */
export function sessionsOn(serverId: string, kasms: Kasm[]): Kasm[] {
  return kasms.filter((k) => sameId(k.server_id, serverId))
}

/**
 * One zone through Kasm's placement rule (src/lib/capacity): its agents with the sessions that hold
 * resources, and what losing its largest one or two agents would do. Used by `agent capacity`,
 * `agent list` and health's capacity check, so they agree with each other and with the guard.
 */
export interface ZoneCapacity {
  zoneId: string
  zoneName: string
  policy: ZonePolicy
  /** Docker agents of the zone (available or not), each with its sessions that hold resources. */
  agents: AgentCapacity[]
  /** Agents that take new sessions: enabled and running. */
  availableAgents: number
  /** Sessions that hold resources on the zone's agents (paused and stopped ones do not). */
  sessions: number
  /** The largest session in use in the zone, else in the deployment; undefined when none runs. */
  largest?: SessionLoad
  /** N+1 / N+2: the largest one / two available agents lost, their sessions placed on the others. */
  nPlus1: LossOutcome
  nPlus2: LossOutcome
}

/**
 * Per-zone capacity from servers and sessions (pure: no I/O). Zones come from the agents' zone
 * fields; pass `zones` to include zones without agents, to order the result like Kasm and to place
 * with each zone's load strategy.
 */
export function computeZoneCapacity(servers: Server[], kasms: Kasm[], zones: Zone[] = []): ZoneCapacity[] {
  const zoneList = new Map<string, {name: string; zone?: Zone}>()
  for (const zone of zones) zoneList.set(zone.zone_id, {name: zone.zone_name, zone})
  for (const server of servers) {
    if (server.server_type === 'host' && server.zone_id && !zoneList.has(server.zone_id)) {
      zoneList.set(server.zone_id, {name: server.zone_name ?? server.zone_id})
    }
  }

  const deploymentLargest = largestSession(agentCapacities(servers, kasms))
  return [...zoneList].map(([zoneId, {name, zone}]) => {
    const agents = agentCapacities(servers, kasms, zoneId)
    const policy = zonePolicy(zone)
    return {
      agents,
      availableAgents: agents.filter((a) => a.available).length,
      largest: largestSession(agents) ?? deploymentLargest,
      nPlus1: loseLargest(agents, 1, policy),
      nPlus2: loseLargest(agents, 2, policy),
      policy,
      sessions: agents.reduce((n, a) => n + a.sessions.length, 0),
      zoneId,
      zoneName: name,
    }
  })
}

/** Images in use: those with a session anywhere in the deployment (paused ones included: they come back). */
export function imagesInUse(images: Image[], kasms: Kasm[]): Image[] {
  return images.filter((image) => kasms.some((k) => sameId(k.image_id ?? k.image?.image_id, image.image_id)))
}

/** The image `--image` names: its Docker image name, friendly name, id or unique id prefix (unknown: exit 64 listing them). */
export function resolveImage(images: Image[], ref: string): Image {
  const byImageName = images.filter((i) => i.name === ref)
  if (byImageName.length === 1) return byImageName[0]
  return resolveRef(images, ref, {id: (i) => i.image_id, name: (i) => imageLabel(i), what: 'image'})
}

/** How many more sessions of one image fit in a zone now, after losing its largest agent (N+1) and its two largest (N+2). */
export interface ImageRoomView {
  image_id: string
  image: string
  size: Resources
  /** Sessions of the image now holding resources in the zone. */
  sessions: number
  now: null | number
  n_plus_1: LossRoomView
  n_plus_2: LossRoomView
}

export interface LossRoomView {
  /** Hostnames of the agents assumed lost. */
  lost: string[]
  /** More sessions of the image that fit once the lost agents' sessions found a place (null: the image needs no resources). */
  more: null | number
  /** The lost agents' sessions that would find no place. */
  unplaced: ImageShortfall[]
}

/** `agent capacity --json` items (docs/json.md). */
export interface ZoneCapacityView {
  zone_id: string
  zone_name: string
  load_strategy: string
  agents: number
  available_agents: number
  sessions: number
  /** Of the available agents: totals (overrides when set), what their sessions use, and the sum of each agent's free room. */
  total: Resources
  used: Resources
  free: Resources
  /** N+1 / N+2: the zone has an available agent and every session would still find a place after losing the largest one / two of them. */
  can_lose_one: boolean
  can_lose_two: boolean
  images: ImageRoomView[]
}

const count = (n: number): null | number => (Number.isFinite(n) ? n : null)

export function capacityView(zone: ZoneCapacity, images: Image[]): ZoneCapacityView {
  const available = zone.agents.filter((a) => a.available)
  const rooms = images
    .filter((image) => imageAllowedIn(image, zone.zoneId))
    .map((image): ImageRoomView => {
      const load = imageLoad(image)
      // The zone's N+1 / N+2 outcomes, computed once: what is left after them is the same for every image.
      const loss = (outcome: LossOutcome): LossRoomView => ({
        lost: outcome.lost,
        more: count(slotsIn(outcome.agents, load.size)),
        unplaced: groupByImage(outcome.unplaced),
      })
      return {
        image: load.image,
        image_id: image.image_id,
        n_plus_1: loss(zone.nPlus1),
        n_plus_2: loss(zone.nPlus2),
        now: count(slotsIn(zone.agents, load.size)),
        sessions: zone.agents.reduce((n, a) => n + a.sessions.filter((s) => sameId(s.imageId, image.image_id)).length, 0),
        size: load.size,
      }
    })
  return {
    agents: zone.agents.length,
    available_agents: available.length,
    can_lose_one: zone.availableAgents > 0 && zone.nPlus1.unplaced.length === 0,
    can_lose_two: zone.availableAgents > 0 && zone.nPlus2.unplaced.length === 0,
    free: sumResources(available.map((a) => freeResources(a))),
    images: rooms,
    load_strategy: zone.policy.loadStrategy ?? 'least_load',
    sessions: zone.sessions,
    total: sumResources(available.map((a) => a.total)),
    used: sumResources(available.map((a) => usedResources(a))),
    zone_id: zone.zoneId,
    zone_name: zone.zoneName,
  }
}
