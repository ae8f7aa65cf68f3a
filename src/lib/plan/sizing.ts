/**
 * `kasmctl plan`: the sizing guide's rules as pure functions over its tables (guide.ts). Each role's
 * count and spec carry the citations they come from; inputs outside the guide's tables give a
 * warning that says so and no figure, never an invented one.
 */
import {slotsOn} from '../capacity/model.js'
import {UsageError} from '../errors.js'
import {formatBytes} from '../output/units.js'
import {
  AGENT_DISK_BASE,
  AGENT_EXAMPLES,
  type Citation,
  CONNECTION_PROXY_MINIMUM,
  CONNECTION_PROXY_ROWS,
  CPX_CORES_PER_USER_WORST,
  CPX_RECORDING_DISK_PER_SESSION,
  DATABASE_MINIMUM,
  DATABASE_ROWS,
  HA_RULES,
  LOGS_BUILTIN_BELOW,
  RECORDING_EXTRA_CORES,
  RULES,
  type Spec,
  USE_CASE_END,
  WEBAPP_ROWS,
} from './guide.js'
import {describeSpec, formatSpec, type PlanInputs} from './inputs.js'

export type PlanRole = 'agent' | 'connection-proxy' | 'database' | 'redis' | 'webapp'

export interface PlanRow {
  role: PlanRole
  /** Servers of this role; null when the guide gives no figure for these inputs. */
  count: null | number
  /** One server's size; null when the guide gives none. */
  spec: null | Spec
  /** How the count was reached, in one line. */
  summary: string
  /** The rules applied, in order. */
  why: Citation[]
  notes: string[]
}

export interface WorkspacePlan {
  workspace: string
  /** The workspace as Kasm counts it on an agent (one more CPU with recording). */
  spec: Spec
  sessions: number
  perAgent: number
  agents: number
  /** The override evaluated (given, or the one the guide's example recommends); null when none applies. */
  override: null | Spec
  perAgentWithOverride: null | number
  agentsWithOverride: null | number
  /** /var/lib/docker per agent: 80 GB + sessions on the agent × per-user disk; null without --per-user-disk. */
  disk: null | number
  diskWithOverride: null | number
}

export interface SizingPlan {
  roles: PlanRow[]
  workspaces: WorkspacePlan[]
  warnings: string[]
}

/**
 * Sessions of a workspace an empty agent takes when Kasm counts `counted` (its size, or its override)
 * and it physically has `physicalCores`: the capacity model's per-agent rule, one source of truth.
 */
export function sessionsPerAgent(counted: Spec, workspace: Spec, physicalCores = counted.cores): number {
  const agent = {autoscaled: false, available: true, hostname: 'planned', physicalCores, serverId: 'planned', sessions: [], total: {...counted, gpus: 0}, zoneId: null}
  return slotsOn(agent, {cores: workspace.cores, gpus: 0, memory: workspace.memory})
}

export function planSizing(inputs: PlanInputs): SizingPlan {
  const warnings: string[] = []
  const workspaces = planWorkspaces(inputs)
  return {
    roles: [webappRow(inputs), databaseRow(inputs, warnings), agentRow(inputs, workspaces), connectionProxyRow(inputs), redisRow()],
    warnings,
    workspaces,
  }
}

/** Sessions one web app serves for this architecture and use case (the row's low or high end). */
export function webappSessionsPerServer(inputs: Pick<PlanInputs, 'architecture' | 'useCase'>): number {
  return WEBAPP_ROWS[inputs.architecture][USE_CASE_END[inputs.useCase].end]
}

/** Web apps needed at peak, before N+1. Direct-to-agent relieves only container sessions: RDP stays on the standard rate. */
export function webappsNeeded(inputs: Pick<PlanInputs, 'architecture' | 'rdpSessions' | 'sessions' | 'useCase'>): number {
  const perServer = webappSessionsPerServer(inputs)
  if (inputs.architecture === 'standard') return Math.max(1, Math.ceil(inputs.sessions / perServer))
  const standard = webappSessionsPerServer({...inputs, architecture: 'standard'})
  return Math.max(1, Math.ceil((inputs.sessions - inputs.rdpSessions) / perServer + inputs.rdpSessions / standard - 1e-9))
}

function webappRow(inputs: PlanInputs): PlanRow {
  const row = WEBAPP_ROWS[inputs.architecture]
  const perServer = webappSessionsPerServer(inputs)
  const needed = webappsNeeded(inputs)
  const count = needed + 1
  const mixed = inputs.architecture === 'direct-to-agent' && inputs.rdpSessions > 0
  const rate = mixed
    ? `${inputs.sessions - inputs.rdpSessions} container sessions at ${perServer} and ${inputs.rdpSessions} RDP at ${webappSessionsPerServer({...inputs, architecture: 'standard'})} per server`
    : `${inputs.sessions} sessions at ${perServer} per server (${inputs.architecture}, ${inputs.useCase}: ${USE_CASE_END[inputs.useCase].end} end of ${row.low}-${row.high})`
  return {
    count,
    notes: [
      `with one web app down, ${needed} remain: the N+1 margin covers maintenance and one failure`,
      'put them behind DNS or a network load balancer that probes /api/__healthcheck',
    ],
    role: 'webapp',
    spec: row.spec,
    summary: `${needed} for ${rate}, +1 for N+1 = ${count}`,
    why: [
      row.source,
      USE_CASE_END[inputs.useCase].source,
      ...(mixed ? [RULES.directToAgentRdp] : []),
      RULES.webappNPlusOne,
      ...(inputs.architecture === 'standard' ? [RULES.webappNPlusOneExample] : []),
      RULES.webappLoadBalancing,
    ],
  }
}

function databaseRow(inputs: PlanInputs, warnings: string[]): PlanRow {
  const {sessions} = inputs
  const notes = ['one primary; for HA add a streaming replica with automated failover (Patroni) or use a managed PostgreSQL (`kasmctl ha` checks it)']
  const why: Citation[] = []
  let spec: null | Spec
  let summary: string
  const tier = DATABASE_ROWS.find((row) => sessions >= row.from && sessions <= row.to)
  if (tier) {
    spec = tier.spec
    summary = `${sessions} sessions: the ${tier.from}-${tier.to} tier`
    why.push(tier.source)
  } else if (sessions < DATABASE_ROWS[0].from) {
    spec = DATABASE_MINIMUM
    summary = `${sessions} sessions: below the table, the guide's general minimum`
    why.push(RULES.databaseMinimum)
    warnings.push(`database: ${sessions} sessions is below the Database table's first band (${DATABASE_ROWS[0].from} to ${DATABASE_ROWS[0].to}); the spec shown is the guide's general minimum (no disk figure)`)
  } else {
    const last = DATABASE_ROWS.at(-1)!
    spec = null
    summary = `${sessions} sessions: beyond the guide's table (up to ${last.to}); no tier given`
    why.push(last.source, RULES.databaseVertical)
    warnings.push(`database: ${sessions} sessions is beyond the Database table (up to ${last.to} concurrent sessions): the guide gives no tier; scale the ${describeSpec(last.spec)} tier vertically and measure`)
  }

  if (sessions < LOGS_BUILTIN_BELOW) {
    notes.push(`under ${LOGS_BUILTIN_BELOW} sessions Kasm's built-in logging is fine (database volume up to about 150 GB)`)
    why.push(RULES.logsBuiltin)
  } else {
    notes.push(`${sessions} sessions: forward logs to a SIEM and set log_retention to 0 (\`kasmctl db retention set --days 0\`); otherwise the logs table grows by tens of GB`)
    why.push(RULES.logsSiem)
  }

  why.push(HA_RULES.databaseReplication)
  return {count: 1, notes, role: 'database', spec, summary, why}
}

/** The override the guide's first example recommends: CPUs raised until memory is the limit (never memory), none for gaming. */
export function recommendedOverride(agent: Spec, workspace: Spec, useCase: PlanInputs['useCase']): null | Spec {
  if (useCase === 'gaming') return null
  const byMemory = Math.floor(agent.memory / workspace.memory + 1e-9)
  if (agent.cores / workspace.cores >= byMemory) return null
  return {cores: byMemory * workspace.cores, memory: agent.memory}
}

function planWorkspaces(inputs: PlanInputs): WorkspacePlan[] {
  const containers = inputs.sessions - inputs.rdpSessions
  return inputs.workspaces.map((workspace) => {
    const spec = {cores: workspace.spec.cores + (inputs.recording ? RECORDING_EXTRA_CORES : 0), memory: workspace.spec.memory}
    const perAgent = sessionsPerAgent(inputs.agentSize, spec)
    if (perAgent === 0) {
      throw new UsageError(
        `--workspace ${workspace.label}${inputs.recording ? ' (+1 CPU for recording)' : ''} does not fit on a ${formatSpec(inputs.agentSize)} agent: Kasm places a session only where its CPUs and memory fit`,
        {hint: 'give a larger --agent-size or a smaller workspace'},
      )
    }

    const sessions = Math.ceil(containers * workspace.share - 1e-9)
    const override = inputs.agentOverride ?? recommendedOverride(inputs.agentSize, spec, inputs.useCase)
    const perAgentWithOverride = override ? sessionsPerAgent(override, spec, inputs.agentSize.cores) : null
    const disk = (onAgent: number) => (inputs.perUserDisk === null ? null : AGENT_DISK_BASE + onAgent * inputs.perUserDisk)
    return {
      agents: Math.ceil(sessions / perAgent),
      agentsWithOverride: perAgentWithOverride ? Math.ceil(sessions / perAgentWithOverride) : null,
      disk: disk(perAgent),
      diskWithOverride: perAgentWithOverride ? disk(perAgentWithOverride) : null,
      override,
      perAgent,
      perAgentWithOverride,
      sessions,
      spec,
      workspace: workspace.label,
    }
  })
}

function agentRow(inputs: PlanInputs, workspaces: WorkspacePlan[]): PlanRow {
  const containers = inputs.sessions - inputs.rdpSessions
  const staticAgents = inputs.agents === 'static'
  const spare = staticAgents ? 2 : 0
  const needed = workspaces.reduce((total, w) => total + w.agents, 0)
  const withOverride = workspaces.every((w) => w.agentsWithOverride !== null) ? workspaces.reduce((total, w) => total + w.agentsWithOverride!, 0) : null
  const why: Citation[] = [RULES.concurrency, RULES.agentsContainerOnly, RULES.agentSessions]
  if (inputs.recording) why.push(RULES.recordingCpu)
  const notes = workspaces.map((w) => {
    const override = w.override ? `; with override ${formatSpec(w.override)}: ${w.perAgentWithOverride}/agent → ${w.agentsWithOverride}` : ''
    const disk = w.disk === null ? '' : `; /var/lib/docker ${formatBytes(w.disk)}${w.diskWithOverride === null ? '' : ` (${formatBytes(w.diskWithOverride)} with the override)`}`
    return `${w.workspace}: ${w.sessions} sessions, ${w.perAgent}/agent → ${w.agents} agent(s)${override}${disk}`
  })
  if (workspaces.some((w) => w.override)) {
    why.push(inputs.agentOverride ? RULES.agentOverrideRam : RULES.agentOverride)
    notes.push('overriding oversubscribes the agents: monitor RAM on the Admin dashboard and never let it get near full')
  } else if (inputs.useCase === 'gaming') {
    why.push(RULES.agentOverrideGaming)
    notes.push('no override for gaming: sessions use most of their resources all the time')
  }

  for (const example of AGENT_EXAMPLES) {
    if (sameSpec(example.agent, inputs.agentSize) && workspaces.some((w) => sameSpec(w.spec, example.workspace))) why.push(example.source)
  }

  if (inputs.perUserDisk === null) notes.push('give --per-user-disk to size /var/lib/docker: 80 GB + sessions on the agent × space per user (XFS, its own volume)')
  else why.push(RULES.agentDisk)
  if (inputs.recording) why.push(RULES.agentDiskRecording)
  why.push(staticAgents ? RULES.agentNPlusTwo : RULES.autoscaleCapacity)
  const plus = staticAgents ? `, +2 for N+2 = ${needed + spare}` : ' at peak (autoscaled: Kasm manages the capacity)'
  const alternative = withOverride !== null && withOverride !== needed ? `; ${withOverride + spare} with the override` : ''
  return {
    count: containers === 0 ? 0 : needed + spare,
    notes: containers === 0 ? ['no container sessions planned: agents only run container workspaces'] : notes,
    role: 'agent',
    spec: {...inputs.agentSize},
    summary: containers === 0 ? 'no container sessions' : `${needed} for ${containers} container sessions${plus}${alternative}`,
    why,
  }
}

function connectionProxyRow(inputs: PlanInputs): PlanRow {
  const row = CONNECTION_PROXY_ROWS[inputs.recording ? 'recording' : 'standard']
  if (inputs.rdpSessions === 0) {
    return {count: 0, notes: [], role: 'connection-proxy', spec: null, summary: 'no RDP/VNC/SSH sessions planned: none needed', why: [RULES.cpxRequired]}
  }

  const other = CONNECTION_PROXY_ROWS[inputs.recording ? 'standard' : 'recording']
  const notes = [
    `${inputs.recording ? 'without' : 'with'} session recording the guide's example is ${describeSpec(other.spec)}`,
    `per zone with RDP/VNC/SSH servers; worst case (every user on full-screen video) ${Math.ceil(inputs.rdpSessions * CPX_CORES_PER_USER_WORST)} CPU cores in all — measure real use`,
    'the guide\'s copy gives no sessions-per-proxy figure: monitor CPU and add identical proxies as needed',
  ]
  const why: Citation[] = [RULES.cpxRequired, RULES.cpxRedundancy, row.source, RULES.cpxCoresPerUser, RULES.cpxIdentical]
  if (inputs.recording) {
    notes.push(
      `recording: at least ${formatBytes(inputs.rdpSessions * CPX_RECORDING_DISK_PER_SESSION)} of disk for ${inputs.rdpSessions} concurrent sessions; Session Recording Queue Length ${row.spec.cores / 2} (half the cores)`,
    )
    why.push(RULES.cpxRecordingDisk, RULES.cpxQueueLength)
  }

  return {count: CONNECTION_PROXY_MINIMUM, notes, role: 'connection-proxy', spec: row.spec, summary: `${inputs.rdpSessions} RDP/VNC/SSH sessions: at least ${CONNECTION_PROXY_MINIMUM} for redundancy`, why}
}

function redisRow(): PlanRow {
  return {
    count: 1,
    notes: ['the default single containerized Redis on the database server is enough; a managed Redis 5.x-compatible service works too'],
    role: 'redis',
    spec: null,
    summary: 'minimal: used for chat in shared sessions',
    why: [RULES.redis],
  }
}

function sameSpec(a: Spec, b: Spec): boolean {
  return a.cores === b.cores && a.memory === b.memory
}
