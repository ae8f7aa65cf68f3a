/**
 * The Kasm sizing and HA guides as data (kasm-docs/sizing-and-deployment.txt, high-availability.txt).
 * Every figure kasmctl plans with lives here once, with the section and sentence it comes from, so a
 * plan can cite its rules and a reviewer can check each number against the guide. The guide's GB are
 * read as binary (GiB), as Kasm and Docker count memory.
 */

export interface Citation {
  guide: 'High Availability guide' | 'Sizing guide'
  section: string
  /** The guide's own words (or the table row) the rule rests on. */
  text: string
}

const sizing = (section: string, text: string): Citation => ({guide: 'Sizing guide', section, text})
const ha = (section: string, text: string): Citation => ({guide: 'High Availability guide', section, text})

/** "Sizing guide › Web App Role: «…»": how a citation reads in tables and "why" lines. */
export function citeText(citation: Citation): string {
  return `${citation.guide} › ${citation.section}: «${citation.text}»`
}

export const GiB = 1024 ** 3

/** A server or workspace size: CPUs, memory and (for servers) disk, in bytes. */
export interface Spec {
  cores: number
  memory: number
  disk?: number
}

export type Architecture = 'direct-to-agent' | 'standard'
export const ARCHITECTURES: readonly Architecture[] = ['standard', 'direct-to-agent']

/** Web App Role › Server Specifications: one row per architecture (the 200-session example pins Standard at 150). */
export const WEBAPP_ROWS: Record<Architecture, {spec: Spec; low: number; high: number; source: Citation}> = {
  'direct-to-agent': {
    high: 500,
    low: 300,
    source: sizing('Web App Role › Server Specifications (Direct-to-Agent)', '4 CPUs, 4GB RAM, 80 GB HD: 300 to 500 concurrent sessions'),
    spec: {cores: 4, disk: 80 * GiB, memory: 4 * GiB},
  },
  standard: {
    high: 150,
    low: 70,
    source: sizing('Web App Role › Server Specifications (Standard)', '4 CPUs, 4GB RAM, 80 GB HD: 70 to 150 concurrent sessions'),
    spec: {cores: 4, disk: 80 * GiB, memory: 4 * GiB},
  },
}

export type UseCase = 'browser-isolation' | 'gaming' | 'remote-work'
export const USE_CASES: readonly UseCase[] = ['remote-work', 'browser-isolation', 'gaming']

const SPECTRUM = sizing(
  'Web App Role',
  'an online gaming service would be on the low end of the spectrum while more moderate uses like remote work or browser isolation could expect to be near the high end',
)
/** Where a use case sits in a web app row's range. */
export const USE_CASE_END: Record<UseCase, {end: 'high' | 'low'; source: Citation}> = {
  'browser-isolation': {end: 'high', source: SPECTRUM},
  gaming: {end: 'low', source: SPECTRUM},
  'remote-work': {end: 'high', source: SPECTRUM},
}

export const RULES = {
  agentDisk: sizing('Agent Role › Disk Space', '/var/lib/docker should have at least 80GB of disk space as a baseline plus the number of users times the amount of space expected per user (80GB + (Users * space_per_user))'),
  agentDiskRecording: sizing('Agent Role › Disk Space', 'when session recording is enabled, each session ... will need additional space to store the recording while it is being encoded and uploaded'),
  agentNPlusTwo: sizing('Agent Role', 'For large deployments with static agents, it is recommended to keep the number of agents at N+2 ... enough to handle peek capacity if you were to loose 2 agents'),
  agentOverride: sizing('Agent Role', 'only 8 sessions could be established. This is not optimal because system still has more RAM available, and could potentially handle twice as many sessions if the CPUs were overridden to 32'),
  agentOverrideGaming: sizing('Agent Role', 'For game streaming use case, users will be using most of their resources at all times'),
  agentOverrideRam: sizing('Agent Role', 'It is critical that actual RAM utilization on the agents is never allowed to get near full capacity'),
  agentSessions: sizing('Agent Role', 'For each session on the agent, there are 2 CPUs subtracted from the available resources. Since the agent physically has 16 CPUs, that means only 8 sessions could be established'),
  agentsContainerOnly: sizing('Agent Role', 'Agents only support container based Workspace sessions, so ensure you are sizing only for expected container based Workspaces sessions'),
  autoscaleCapacity: sizing('Agent Role', 'For cloud deployments that auto scale, capacity is managed by Kasm. For deployments with static agents, however, capacity planning is needed'),
  concurrency: sizing('Introduction', 'maximum concurrent Kasm sessions is the metric that should be used when sizing'),
  cpxCoresPerUser: sizing('Connection Proxy', 'if all users are watching full screen videos within their remote Windows desktop, the connection proxy will consume approximately 1.25 CPU cores per user, without session recording enabled'),
  cpxIdentical: sizing('Connection Proxy', 'All connection proxies should be identical in size, this is even more important when session recording is enabled'),
  cpxQueueLength: sizing('Connection Proxy', 'It is recommended to set the Session Recording Queue Length to half that of the number of cores a system has'),
  cpxRecordingDisk: sizing('Connection Proxy', 'With session recording enabled, you should plan for at least 1GB or disk space per concurrent session'),
  cpxRedundancy: sizing('Connection Proxy › Redundancy and Load Balancing', 'it is recommended to have at least two for redundancy'),
  cpxRequired: sizing('Connection Proxy', 'Each Zone in Kasm requires at least one connection proxy, if the zone will have servers with RDP/VNC/SSH connections'),
  databaseMinimum: sizing('Database Role', 'we recommend at least 2 CPUs and 4 GB of RAM. These minimum requirements will handle deployments into the hundreds of concurrent users'),
  databaseVertical: sizing('Database Role', 'The database server can be vertically scaled to increase performance of larger deployments'),
  directToAgentRdp: sizing('Web App Role', 'Direct-to-agent is only applicable to containerized desktop/app sessions and does not apply to Servers connected to via RDP'),
  logsBuiltin: sizing('Database Role', 'Smaller deployments with less than around 50 concurrent sessions can rely on Kasm’s built-in logging mechanisms, with a healthy database volume of around 150GB on the higher end of the spectrum'),
  logsSiem: sizing('Database Role', 'Deployments larger than this should use an external SIEM solution and set log retention to 0'),
  recordingCpu: sizing('Agent Role', 'For container workspaces that will have session recording enabled, one additional CPU should be assigned to the workspace'),
  redis: sizing('Database Role', 'Redis resource requirements are very minimal ... smaller instance types such as cache.t4g.small can be used, which have 2 vCPUs and 1.37GB of RAM'),
  webappLoadBalancing: sizing('Web App Role › Health Checks', 'Kasm has a built in health check located at /api/__healthcheck'),
  webappNPlusOne: sizing('Web App Role', 'For large deployments, it is recommended to have N+1 redundancy for the web app servers'),
  webappNPlusOneExample: sizing('Web App Role', 'up to 200 concurrent sessions for a remote work use case, in a standard deployment architecture, would need 3 servers using the N+1 redundancy recommendation'),
} as const satisfies Record<string, Citation>

/** Database Role › Server Specifications: a tier per concurrency band (the bands share their ends; the smaller tier takes them). */
export const DATABASE_ROWS: ReadonlyArray<{from: number; to: number; spec: Spec; source: Citation}> = [
  {from: 50, source: sizing('Database Role › Server Specifications', '4 CPUs, 4GB RAM, 80 GB HD: 50 to 200'), spec: {cores: 4, disk: 80 * GiB, memory: 4 * GiB}, to: 200},
  {from: 200, source: sizing('Database Role › Server Specifications', '4 CPUs, 8GB RAM, 100 GB HD: 200 to 500'), spec: {cores: 4, disk: 100 * GiB, memory: 8 * GiB}, to: 500},
  {from: 500, source: sizing('Database Role › Server Specifications', '8 CPUs, 8GB RAM, 150 GB HD: 500 to 1000'), spec: {cores: 8, disk: 150 * GiB, memory: 8 * GiB}, to: 1000},
]
/** The minimum the Database Role's text recommends whatever the size. */
export const DATABASE_MINIMUM: Spec = {cores: 2, memory: 4 * GiB}
/** At or above this many concurrent sessions the guide wants logs in a SIEM and retention 0. */
export const LOGS_BUILTIN_BELOW = 50

/** Agent Role table: the worked examples (workspace on an agent, with the override the guide shows). */
export const AGENT_EXAMPLES: ReadonlyArray<{workspace: Spec; agent: Spec; override: null | Spec; source: Citation}> = [
  {agent: {cores: 16, memory: 64 * GiB}, override: null, source: sizing('Agent Role table, row 1', '2 CPUs, 4 GB RAM on 16 CPUs, 64GB RAM, no override'), workspace: {cores: 2, memory: 4 * GiB}},
  {agent: {cores: 16, memory: 64 * GiB}, override: {cores: 96, memory: 80 * GiB}, source: sizing('Agent Role table, row 2', '4 CPUs, 4 GB RAM on 16 CPUs, 64GB RAM, override 96 CPUs, 80GB RAM'), workspace: {cores: 4, memory: 4 * GiB}},
  {agent: {cores: 32, memory: 128 * GiB}, override: {cores: 192, memory: 192 * GiB}, source: sizing('Agent Role table, row 3 ("very aggressive")', '4 CPUs, 4 GB RAM on 32 CPUs, 128GB RAM, override 192 CPUs, 192GB RAM'), workspace: {cores: 4, memory: 4 * GiB}},
]
/** The agent size of the guide's first example, the default for a plan. */
export const DEFAULT_AGENT: Spec = {cores: 16, memory: 64 * GiB}
/** The workspace of the guide's first example, the default for a plan. */
export const DEFAULT_WORKSPACE: Spec = {cores: 2, memory: 4 * GiB}
export const AGENT_DISK_BASE = 80 * GiB
export const RECORDING_EXTRA_CORES = 1

/** Connection Proxy › Example Specifications (the copy of the guide we have lost the table's session counts). */
export const CONNECTION_PROXY_ROWS: Record<'recording' | 'standard', {spec: Spec; source: Citation}> = {
  recording: {source: sizing('Connection Proxy › Example Specifications', 'With Session Recording: 16 CPUs, 8GB RAM, 112 GB HD'), spec: {cores: 16, disk: 112 * GiB, memory: 8 * GiB}},
  standard: {source: sizing('Connection Proxy › Example Specifications', 'Without Session Recording: 8 CPUs, 4GB RAM, 80 GB HD'), spec: {cores: 8, disk: 80 * GiB, memory: 4 * GiB}},
}
export const CONNECTION_PROXY_MINIMUM = 2
export const CPX_CORES_PER_USER_WORST = 1.25
export const CPX_RECORDING_DISK_PER_SESSION = GiB

/** The HA guide's decision summary, one row per role: the minimum for production HA and the failure mode without it. */
export type HaRole = 'agent' | 'connection-proxy' | 'database' | 'dedicated-proxy' | 'log-volume' | 'webapp' | 'zone-boundary'
export const HA_SUMMARY: Record<HaRole, {minimum: string; impact: string; source: Citation}> = {
  agent: {impact: 'capacity reduction; sessions on the failed agent interrupted', minimum: '2+ agents per zone', source: ha('HA Decision Summary by Role › Agent', 'Multiple per zone; AutoScaling in cloud · 2+ Agents per zone')},
  'connection-proxy': {impact: 'legacy protocol sessions terminated', minimum: 'required only for RDP, VNC, SSH; 2+ per zone then', source: ha('HA Decision Summary by Role › Connection Proxy', 'Multiple instances behind load balancer · Required only for RDP, VNC, SSH workspaces')},
  database: {impact: 'entire platform unavailable', minimum: 'automatic failover (managed service or streaming replication)', source: ha('HA Decision Summary by Role › Database', 'Managed service with auto-failover or streaming replication with Patroni · Automatic failover required')},
  'dedicated-proxy': {impact: 'sessions in the affected zone interrupted', minimum: 'multiple per zone, for multi-zone delivery', source: ha('HA Decision Summary by Role › Dedicated Proxy', 'Multiple instances per zone behind load balancer · Required for multi-zone regional delivery')},
  'log-volume': {impact: 'database storage and I/O compete with operational queries', minimum: 'logs to a SIEM, retention 0, at hundreds of sessions', source: ha('The Database Role (warning)', 'Organizations running enterprise-scale deployments should forward logs to an external SIEM and reduce Kasm\'s internal log retention to zero')},
  webapp: {impact: 'new session creation blocked; admin UI down', minimum: 'N+1 (2+) behind a load balancer', source: ha('HA Decision Summary by Role › Web App', 'N+1 behind DNS or network load balancer · 2+ recommended')},
  'zone-boundary': {impact: 'cross-zone fallback violates the enclave\'s policy', minimum: 'Search Alternate Zones off for security enclaves', source: ha('Failure Domain Isolation Through Zone Design', 'Security enclave (classification, tenant separation) · Disable')},
}

export const HA_RULES = {
  backups: sizing('Database Role › Redundancy and Backups', 'At a minimum, regular backups of the database should be performed'),
  databaseSingle: ha('The Database Role', 'Single containerized instance · None · Small teams, development, and Proof-of-Concept'),
  databaseReplication: ha('The Database Role', 'Self-managed replication with Patroni · PostgreSQL streaming replication; automated failover'),
  databaseManaged: ha('The Database Role', 'AWS RDS Multi-AZ · Synchronous standby; automatic failover'),
  webappExample: ha('The Web App Role', 'A deployment expecting 200 concurrent sessions requires approximately 2 Web App servers at peak. N+1 means deploying 3'),
  agentLoseOne: ha('Why Ephemeral Sessions Fundamentally Simplify HA', 'The HA problem for Agents reduces to: provision enough Agents that losing one does not exhaust capacity'),
  autoscale: ha('The Agent Role', 'AutoScaling: In cloud environments, the Manager can provision new Agent virtual machines when existing Agents reach capacity or when a node fails'),
  searchAlternateDefault: ha('Failure Domain Isolation Through Zone Design (tip)', 'The default is Enabled, which encodes an implicit assumption that zones are geographic, not regulatory'),
} as const satisfies Record<string, Citation>
