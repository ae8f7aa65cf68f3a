import {type AgentCapacity, COUNTED_STATES} from '../../capacity/index.js'
import type {Queryable} from './db.js'
import {capacity} from './views.js'

/**
 * Where request_kasm puts a session: Kasm's per-agent rule (kasm-verified.md §1: free = override or
 * detected minus the sessions in COUNTED_STATES; cores, memory and gpus must fit on one agent and the
 * image's cores must not exceed the agent's physical cores), then the zone's load strategy. The rule
 * itself is kasmctl's capacity model (src/lib/capacity), so the sandbox and kasmctl cannot drift;
 * test/lib/sandbox/simulator/placement.test.ts checks the simulator against hand-computed cases.
 */

/**
 * Agents that may take sessions: enabled Docker agents, running, checked in within the window; each
 * with its sessions in the states Kasm counts.
 */
export async function candidateAgents(db: Queryable, checkinWindowMs: number): Promise<AgentCapacity[]> {
  const [servers, sessions] = await Promise.all([
    db.query(
      `SELECT server_id, hostname, zone_id, cores, cores_override, memory_bytes, memory_override_bytes, gpus_override, docker_info,
              (autoscale_config_id IS NOT NULL) AS autoscaled
         FROM servers
        WHERE server_type = 'host' AND enabled AND operational_status = 'running'
          AND last_reported > localtimestamp - make_interval(secs => $1)`,
      [checkinWindowMs / 1000],
    ),
    db.query(`SELECT kasm_id, server_id, image_id, operational_status, cores, memory_bytes, gpus FROM kasms WHERE operational_status = ANY($1)`, [
      COUNTED_STATES,
    ]),
  ])
  return servers.rows.map((r) => ({
    autoscaled: Boolean(r.autoscaled),
    available: true,
    hostname: r.hostname as string,
    physicalCores: Number(r.cores ?? 0),
    serverId: r.server_id as string,
    sessions: sessions.rows
      .filter((k) => k.server_id === r.server_id)
      .map((k) => ({
        id: k.kasm_id as string,
        image: String(k.image_id),
        size: {cores: Number(k.cores ?? 0), gpus: Number(k.gpus ?? 0), memory: Number(k.memory_bytes ?? 0)},
        status: k.operational_status as string,
      })),
    total: capacity(r),
    zoneId: r.zone_id as string,
  }))
}
