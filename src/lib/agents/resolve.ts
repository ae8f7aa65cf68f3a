import type {Server} from '../kasm/types.js'
import {resolveRef} from '../zones/resolve.js'
import {isAgent} from '../zones/view.js'

export {isAgent} from '../zones/view.js'
export {resolveZone} from '../zones/resolve.js'

/** The Docker agent an AGENT argument designates: hostname, id (dashes allowed) or unique id prefix. */
export function resolveAgent(servers: readonly Server[], ref: string): Server {
  return resolveRef(
    servers.filter((server) => isAgent(server)),
    ref,
    {id: (server) => server.server_id, name: (server) => server.hostname, what: 'agent'},
  )
}
