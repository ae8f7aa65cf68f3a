/**
 * `kasmctl plan --live`: the deployment of the context against the sizing guide, with Kasm's
 * per-agent placement rule (src/lib/capacity), never pooled zone arithmetic: how many more sessions
 * of each image in use fit per zone now and with its largest agent(s) lost, what one web app lost
 * leaves, override advice, and with --sessions what each role must add (or has spare) to reach it.
 */
import {
  type AgentCapacity,
  agentCapacities,
  freeResources,
  imageAllowedIn,
  imageLabel,
  imageLoad,
  imageSize,
  isDockerAgent,
  loseLargest,
  placeSessions,
  type Resources,
  roomFor,
  type SessionLoad,
  zonePolicy,
  type ZonePolicy,
} from '../capacity/index.js'
import type {ContextConfig} from '../config/types.js'
import {getRetention, type Retention} from '../db/retention.js'
import {runHealth} from '../health/run.js'
import type {HealthCheck} from '../health/types.js'
import type {KasmClient} from '../kasm/client.js'
import {sameId} from '../kasm/ids.js'
import type {ConnectionProxy, Image, Kasm, Server, Zone} from '../kasm/types.js'
import {type Citation, CONNECTION_PROXY_MINIMUM, DATABASE_ROWS, GiB, LOGS_BUILTIN_BELOW, RULES, type Spec} from './guide.js'
import {formatSpec, type PlanInputs} from './inputs.js'
import {recommendedOverride, sessionsPerAgent, webappSessionsPerServer, webappsNeeded} from './sizing.js'

/** What the API and the health checks say about the deployment, read once. */
export interface LiveFacts {
  zones: Zone[]
  servers: Server[]
  kasms: Kasm[]
  images: Image[]
  connectionProxies: ConnectionProxy[]
  /** Health's web app healthcheck per inventory web app. */
  webapps: HealthCheck[]
  /** Health's database size and logs-table checks (absent without a database). */
  database: HealthCheck[]
  /** Kasm's logging settings; undefined when the API would not give them. */
  retention?: Retention
  defaultZone?: string
}

export async function readLiveFacts(client: KasmClient, context: ContextConfig): Promise<LiveFacts> {
  const [zones, servers, {kasms}, images, connectionProxies, health, retention] = await Promise.all([
    client.getZones({brief: true}),
    client.getServers(),
    client.getKasms(),
    client.getImages(),
    client.getConnectionProxies(),
    runHealth({client: async () => client, context, roles: context.database ? ['webapp', 'db'] : ['webapp']}),
    getRetention(client).catch(() => undefined),
  ])
  return {
    connectionProxies,
    database: health.checks.filter((c) => c.role === 'db' && (c.check === 'size' || c.check === 'logs-table')),
    defaultZone: context.defaultZone,
    images,
    kasms,
    retention,
    servers,
    webapps: health.checks.filter((c) => c.role === 'webapp' && c.check === 'healthcheck'),
    zones,
  }
}

export interface ImageRoom {
  image: string
  size: Resources
  /** More sessions of this image that fit now, after losing the largest agent, and the two largest. */
  now: number
  nPlus1: number
  nPlus2: number
  /** Hostname of the agent lost for nPlus1. */
  largestAgent: null | string
}

export interface ZoneRoom {
  zone: string
  agents: number
  availableAgents: number
  sessions: number
  images: ImageRoom[]
}

export interface OverrideAdvice {
  zone: string
  agent: string
  image: string
  /** What Kasm counts now (override or detected). */
  counted: Spec
  perAgent: number
  suggested: Spec
  perAgentWithOverride: number
}

export interface RoleTarget {
  role: 'agent' | 'connection-proxy' | 'database' | 'webapp'
  /** Zone for agents and connection proxies; "deployment" otherwise. */
  target: string
  have: number
  need: null | number
  /** need - have when positive. */
  add: number
  /** have - need when positive. */
  spare: number
  summary: string
  why: Citation[]
}

export interface LivePlanJson {
  mode: 'live'
  inputs: {sessions: null | number; useCase: PlanInputs['useCase']; architecture: PlanInputs['architecture']; agents: PlanInputs['agents']}
  sessions: number
  webapps: {count: number; healthy: number; perServer: number; holds: number; holdsWithOneLost: number}
  zones: ZoneRoom[]
  overrides: OverrideAdvice[]
  database: {sizeBytes: null | number; logsTableBytes: null | number}
  target: null | RoleTarget[]
  warnings: string[]
}

export function planLive(facts: LiveFacts, inputs: PlanInputs): LivePlanJson {
  const warnings: string[] = []
  const perServer = webappSessionsPerServer(inputs)
  const healthy = facts.webapps.filter((c) => c.status === 'OK' || c.status === 'WARNING').length
  if (facts.webapps.length === 0) warnings.push('the context lists no web app hosts: web apps are counted as 0 (add them with role webapp)')
  const zones = facts.zones.filter((zone) => facts.servers.some((s) => isDockerAgent(s) && sameId(s.zone_id, zone.zone_id)))
  const target = inputs.sessions > 0 ? targets(facts, inputs, zones, healthy) : null
  const outside = target?.find((row) => row.role === 'database' && row.need === null)
  if (outside) warnings.push(`database: ${outside.summary}`)
  return {
    database: {logsTableBytes: numeric(facts.database.find((c) => c.check === 'logs-table')), sizeBytes: numeric(facts.database.find((c) => c.check === 'size'))},
    mode: 'live',
    inputs: {agents: inputs.agents, architecture: inputs.architecture, sessions: inputs.sessions > 0 ? inputs.sessions : null, useCase: inputs.useCase},
    overrides: zones.flatMap((zone) => overrideAdvice(facts, zone, inputs.useCase)),
    sessions: facts.kasms.length,
    target,
    warnings,
    webapps: {count: facts.webapps.length, healthy, holds: healthy * perServer, holdsWithOneLost: Math.max(0, healthy - 1) * perServer, perServer},
    zones: zones.map((zone) => zoneRoom(facts, zone)),
  }
}

function numeric(check: HealthCheck | undefined): null | number {
  return typeof check?.value === 'number' ? check.value : null
}

function zoneAgents(facts: LiveFacts, zone: Zone): AgentCapacity[] {
  return agentCapacities(facts.servers, facts.kasms, zone.zone_id)
}

/** Images with sessions in the zone; when none run there, every enabled image the zone may run. */
function imagesOf(facts: LiveFacts, zone: Zone, agents: AgentCapacity[]): Image[] {
  const used = new Set(agents.flatMap((a) => a.sessions.map((s) => s.imageId)))
  const allowed = facts.images.filter((image) => image.enabled && imageAllowedIn(image, zone.zone_id))
  const inUse = allowed.filter((image) => used.has(image.image_id))
  return inUse.length > 0 ? inUse : allowed
}

function zoneRoom(facts: LiveFacts, zone: Zone): ZoneRoom {
  const agents = zoneAgents(facts, zone)
  const policy = zonePolicy(zone)
  return {
    agents: agents.length,
    availableAgents: agents.filter((a) => a.available).length,
    images: imagesOf(facts, zone, agents).map((image) => {
      const room = roomFor(agents, imageSize(image), policy)
      return {image: imageLabel(image), largestAgent: room.nPlus1.lost[0] ?? null, now: room.now, nPlus1: room.nPlus1.more, nPlus2: room.nPlus2.more, size: imageSize(image)}
    }),
    sessions: agents.reduce((total, a) => total + a.sessions.length, 0),
    zone: zone.zone_name,
  }
}

/**
 * Agents that have run out of CPU for an image in use while memory for it is still free: the guide's
 * first example, where overriding the CPUs until memory is the limit doubles the sessions.
 */
function overrideAdvice(facts: LiveFacts, zone: Zone, useCase: PlanInputs['useCase']): OverrideAdvice[] {
  const agents = zoneAgents(facts, zone)
  const images = imagesOf(facts, zone, agents)
  return agents.filter((a) => a.available).flatMap((agent) => {
    const free = freeResources(agent)
    return images.flatMap((image) => {
      const size = {cores: image.cores, memory: image.memory}
      const counted = {cores: agent.total.cores, memory: agent.total.memory}
      const suggested = free.cores < size.cores && free.memory >= size.memory ? recommendedOverride(counted, size, useCase) : null
      if (!suggested) return []
      return [{agent: agent.hostname, counted, image: imageLabel(image), perAgent: sessionsPerAgent(counted, size, agent.physicalCores), perAgentWithOverride: sessionsPerAgent(suggested, size, agent.physicalCores), suggested, zone: zone.zone_name}]
    })
  })
}

/** Per zone: the share of the target it carries (its share of the sessions now; else the default zone, else the first). */
function zoneShares(facts: LiveFacts, zones: Zone[]): Map<string, number> {
  const counts = zones.map((zone) => zoneAgents(facts, zone).reduce((total, a) => total + a.sessions.length, 0))
  const total = counts.reduce((a, b) => a + b, 0)
  if (total > 0) return new Map(zones.map((zone, i) => [zone.zone_id, counts[i] / total]))
  const home = zones.find((zone) => zone.zone_name === facts.defaultZone) ?? zones[0]
  return new Map(home ? [[home.zone_id, 1]] : [])
}

/** The sessions a zone must still take to carry its share, in the mix of images it runs (or its images in equal parts). */
function additionalLoads(facts: LiveFacts, zone: Zone, agents: AgentCapacity[], count: number): SessionLoad[] {
  const sessions = agents.flatMap((a) => a.sessions)
  const images = imagesOf(facts, zone, agents)
  const mix: Array<{load: SessionLoad; weight: number}> = images.map((image) => ({
    load: imageLoad(image),
    weight: sessions.length > 0 ? sessions.filter((s) => s.imageId === image.image_id).length / sessions.length : 1 / images.length,
  }))
  const loads: SessionLoad[] = []
  for (const {load, weight} of mix) {
    const n = Math.ceil(count * weight - 1e-9)
    for (let i = 0; i < n && loads.length < count; i++) loads.push({...load, id: `${load.id}:${i}`})
  }

  return loads
}

/**
 * Agents like the zone's largest to add so that `loads` all find a place, one by one as Kasm would
 * place them, and (static agents) the zone still places every session after losing its 2 largest.
 */
export function agentsToAdd(agents: AgentCapacity[], loads: SessionLoad[], policy: ZonePolicy, spare: number): null | number {
  const model = [...agents].filter((a) => a.available).sort((a, b) => b.total.cores - a.total.cores || b.total.memory - a.total.memory)[0]
  if (!model) return null
  const clone = (i: number): AgentCapacity => ({...model, hostname: `new-agent-${i + 1}`, serverId: `new-agent-${i + 1}`, sessions: []})
  const fits = (add: number) => {
    const placement = placeSessions([...agents, ...Array.from({length: add}, (_, i) => clone(i))], loads, policy)
    return placement.unplaced.length === 0 && (spare === 0 || loseLargest(placement.agents, spare, policy).unplaced.length === 0)
  }

  for (let add = 0; add <= loads.length + spare; add++) if (fits(add)) return add
  return null
}

function targets(facts: LiveFacts, inputs: PlanInputs, zones: Zone[], healthy: number): RoleTarget[] {
  const n = inputs.sessions
  const rows: RoleTarget[] = []
  const row = (fields: Omit<RoleTarget, 'add' | 'spare'>) => {
    const need = fields.need ?? fields.have
    rows.push({...fields, add: Math.max(0, need - fields.have), spare: Math.max(0, fields.have - need)})
  }

  const webapps = webappsNeeded({...inputs, rdpSessions: 0, sessions: n}) + 1
  row({have: healthy, need: webapps, role: 'webapp', summary: `${webapps - 1} for ${n} sessions at ${webappSessionsPerServer(inputs)} per web app, +1 for N+1`, target: 'deployment', why: [RULES.webappNPlusOne]})

  const shares = zoneShares(facts, zones)
  const spare = inputs.agents === 'static' ? 2 : 0
  for (const zone of zones) {
    const share = shares.get(zone.zone_id) ?? 0
    if (share === 0) continue
    const agents = zoneAgents(facts, zone)
    const current = agents.reduce((total, a) => total + a.sessions.length, 0)
    const wanted = Math.ceil(n * share - 1e-9)
    const loads = additionalLoads(facts, zone, agents, Math.max(0, wanted - current))
    const add = agentsToAdd(agents, loads, zonePolicy(zone), spare)
    const available = agents.filter((a) => a.available).length
    const model = [...agents].filter((a) => a.available).sort((a, b) => b.total.cores - a.total.cores)[0]
    const like = model ? ` like ${model.hostname} (${formatSpec(model.total)})` : ''
    const plus = spare ? ', and all of them still placed with the 2 largest agents lost (N+2)' : ' (autoscaled: Kasm adds capacity)'
    row({
      have: available,
      need: add === null ? null : available + add,
      role: 'agent',
      summary: add === null ? 'no available agent to model new ones on' : `${wanted} sessions (${Math.round(share * 100)}% of ${n}) placed agent by agent: ${add} more${like}${plus}`,
      target: zone.zone_name,
      why: [RULES.agentSessions, spare ? RULES.agentNPlusTwo : RULES.autoscaleCapacity],
    })
  }

  for (const zone of facts.zones) {
    const desktops = facts.servers.filter((s) => s.server_type === 'Desktop' && sameId(s.zone_id, zone.zone_id)).length
    if (desktops === 0) continue
    const have = facts.connectionProxies.filter((p) => sameId(p.zone_id, zone.zone_id)).length
    row({have, need: CONNECTION_PROXY_MINIMUM, role: 'connection-proxy', summary: `${desktops} RDP/VNC/SSH server(s): at least ${CONNECTION_PROXY_MINIMUM}`, target: zone.zone_name, why: [RULES.cpxRedundancy]})
  }

  const tier = DATABASE_ROWS.find((r) => n >= r.from && n <= r.to)
  const logging = facts.retention && n >= LOGS_BUILTIN_BELOW && facts.retention.logRetentionDays > 0
  const logs = logging ? `; logs are kept ${facts.retention!.logRetentionDays} days in the database: forward them to a SIEM and set log_retention to 0` : ''
  rows.push({
    add: 0,
    have: 1,
    need: tier ? 1 : null,
    role: 'database',
    spare: 0,
    summary: `${tier ? `size it ${formatSpec(tier.spec)} with ${tier.spec.disk! / GiB} GB disk (the ${tier.from}-${tier.to} tier)` : `${n} sessions: outside the guide's table (${DATABASE_ROWS[0].from} to ${DATABASE_ROWS.at(-1)!.to}): no tier given`}${logs}`,
    target: 'deployment',
    why: [...(tier ? [tier.source] : [RULES.databaseVertical]), ...(logging ? [RULES.logsSiem] : [])],
  })
  return rows
}
