import {sameId} from '../kasm/ids.js'
import type {Image, Kasm, Server, Zone} from '../kasm/types.js'
import {type AgentCapacity, holdsResources, type Resources, type SessionLoad} from './model.js'
import type {ZonePolicy} from './placement.js'

/**
 * The capacity model's inputs from what the Kasm API returns (get_servers, get_kasms, get_images,
 * get_zones). Pure: no I/O.
 */

/** The override when > 0, else the detected value (Kasm's rule for cores, memory and gpus). */
function effective(override: number | undefined, detected: number | undefined): number {
  return override && override > 0 ? override : (detected ?? 0)
}

/** Cores, memory and gpus Kasm counts for an agent: each override when set (0 = none), else the detected value. */
export function agentTotal(server: Server): Resources {
  return {
    cores: effective(server.cores_override, server.cores),
    gpus: effective(server.gpus_override, server.gpus),
    memory: effective(server.memory_override, server.memory),
  }
}

/** Takes new sessions: enabled and checked in as running. */
export function isAvailable(server: Server): boolean {
  return server.enabled && (server.operational_status ?? 'running') === 'running'
}

/** A Docker agent (server_type "host"), not an RDP/VNC/SSH server. */
export function isDockerAgent(server: Server): boolean {
  return server.server_type === 'host'
}

/** Label of a session's image for messages: friendly name, else name, else id. */
function sessionImageLabel(kasm: Kasm): string {
  return kasm.image?.friendly_name || kasm.image?.name || kasm.image_id || 'unknown image'
}

function sessionLoad(kasm: Kasm): SessionLoad {
  return {
    id: kasm.kasm_id,
    image: sessionImageLabel(kasm),
    imageId: kasm.image_id ?? kasm.image?.image_id,
    size: {cores: Number(kasm.cores ?? 0), gpus: Number(kasm.gpus ?? 0), memory: Number(kasm.memory ?? 0)},
    status: kasm.operational_status,
  }
}

/** One agent with its sessions that hold resources (paused and stopped ones do not). */
function agentCapacity(server: Server, kasms: Kasm[]): AgentCapacity {
  return {
    autoscaled: Boolean(server.autoscale_config_id ?? server.is_autoscaled),
    available: isAvailable(server),
    hostname: server.hostname,
    physicalCores: server.cores ?? 0,
    serverId: server.server_id,
    sessions: kasms.filter((k) => sameId(k.server_id, server.server_id) && holdsResources(k.operational_status)).map((k) => sessionLoad(k)),
    total: agentTotal(server),
    zoneId: server.zone_id ?? null,
  }
}

/** The Docker agents (of one zone when `zoneId` is given) with their sessions. */
export function agentCapacities(servers: Server[], kasms: Kasm[], zoneId?: string): AgentCapacity[] {
  return servers
    .filter((s) => isDockerAgent(s) && (zoneId === undefined || sameId(s.zone_id, zoneId)))
    .map((s) => agentCapacity(s, kasms))
}

export function imageSize(image: Image): Resources {
  return {cores: image.cores, gpus: image.gpu_count, memory: image.memory}
}

export function imageLabel(image: Image): string {
  return image.friendly_name || image.name || image.image_id
}

/** A hypothetical session of the image, to ask "does one more fit". */
export function imageLoad(image: Image): SessionLoad {
  return {id: `image:${image.image_id}`, image: imageLabel(image), imageId: image.image_id, size: imageSize(image)}
}

/** Whether sessions of the image may be placed in the zone (restrict_to_zone pins an image to one zone). */
export function imageAllowedIn(image: Image, zoneId: string): boolean {
  return !image.restrict_to_zone || !image.zone_id || sameId(image.zone_id, zoneId)
}

export function zonePolicy(zone: Pick<Zone, 'load_strategy' | 'prioritize_static_agents'> | undefined): ZonePolicy {
  return {loadStrategy: zone?.load_strategy ?? null, prioritizeStatic: zone?.prioritize_static_agents ?? true}
}
