import type {KasmClient} from '../kasm/client.js'

/**
 * What shell completion offers for an argument or a flag value that names something:
 * `kasmctl __complete SOURCE` prints the names, one per line, and the script asks for them only
 * when TAB is pressed there. Contexts come from the config file; zones and agents from the API.
 */
export const NAME_SOURCES = ['contexts', 'zones', 'agents'] as const
export type NameSource = (typeof NAME_SOURCES)[number]

/** Sources answered by the Kasm API of the selected context. */
export type DeploymentSource = Exclude<NameSource, 'contexts'>

/** A TAB must not hang on an unreachable Kasm: one try, two seconds. */
export const COMPLETION_CLIENT = {retries: 0, timeoutMs: 2000}

export async function contextNames(): Promise<string[]> {
  const {loadConfig} = await import('../config/store.js')
  const {file} = await loadConfig()
  return (file.contexts ?? []).map((context) => context.name).sort()
}

export async function deploymentNames(client: KasmClient, source: DeploymentSource): Promise<string[]> {
  if (source === 'zones') return (await client.getZones({brief: true})).map((zone) => zone.zone_name).sort()
  const [servers, {isAgent}] = await Promise.all([client.getServers(), import('../zones/view.js')])
  return servers.filter((server) => isAgent(server)).map((server) => server.hostname).sort()
}
