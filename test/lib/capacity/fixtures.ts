/** Docker agents for the capacity tests (pure: plain objects as get_servers returns them, normalised). */
import type {Server} from '../../../src/lib/kasm/types.js'

export const GIB = 1024 ** 3
export const ZONE = 'a'.repeat(32)

/** Agent n of zone ZONE ("default"): enabled, running, n's digit repeated as its id. */
export function dockerAgent(n: number, cores: number, memoryGib: number, extra: Partial<Server> = {}): Server {
  return {
    cores,
    enabled: true,
    hostname: `agent-${n}`,
    memory: memoryGib * GIB,
    operational_status: 'running',
    server_id: String(n).repeat(32),
    server_type: 'host',
    zone_id: ZONE,
    zone_name: 'default',
    ...extra,
  }
}
