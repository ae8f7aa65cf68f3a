/**
 * Every `kasmctl plan` input, once: its flag, kind, default and help. The command's flags, the
 * validation (bad value → exit 64 naming the valid forms) and the plan's `inputs` echo all read this
 * table, so an input is added in one place.
 */
import {listValues, UsageError} from '../errors.js'
import {formatBytes, parseBytes} from '../output/units.js'
import {ARCHITECTURES, type Architecture, DEFAULT_AGENT, DEFAULT_WORKSPACE, GiB, type Spec, USE_CASES, type UseCase} from './guide.js'

export type PlanInputKind = 'boolean' | 'bytes' | 'choice' | 'count' | 'size' | 'workspace'

export interface PlanInputSpec {
  /** Flag name without the dashes. */
  flag: string
  kind: PlanInputKind
  description: string
  /** The default as the user would type it (shown in help and echoed as defaulted). */
  default?: string
  options?: readonly string[]
  /** Also read by `plan --live`. */
  live?: boolean
  exclusive?: string[]
}

export const PLAN_INPUTS: readonly PlanInputSpec[] = [
  {description: 'peak concurrent sessions to plan for (all kinds: containers and RDP/VNC/SSH)', flag: 'sessions', kind: 'count', live: true},
  {default: 'remote-work', description: 'what users do: sets where a web app sits in the guide\'s range (gaming low, the others high)', flag: 'use-case', kind: 'choice', live: true, options: USE_CASES},
  {default: 'standard', description: 'standard (all traffic through the web apps) or direct-to-agent (containers stream from the agents)', flag: 'architecture', kind: 'choice', live: true, options: ARCHITECTURES},
  {default: formatSpec(DEFAULT_WORKSPACE), description: 'workspace CPUs and memory, with an optional share of the container sessions (repeatable): 2c4g, 4c8g:30%', flag: 'workspace', kind: 'workspace'},
  {default: formatSpec(DEFAULT_AGENT), description: 'CPUs and memory of one agent', flag: 'agent-size', kind: 'size'},
  {description: 'the agent override to evaluate (default: the one the guide\'s example recommends)', flag: 'agent-override', kind: 'size'},
  {description: 'session recording is on: one more CPU per container workspace, recording disk on connection proxies', flag: 'recording', kind: 'boolean'},
  {default: '0', description: 'how many of the sessions are RDP/VNC/SSH (through connection proxies, not agents)', flag: 'rdp-sessions', kind: 'count'},
  {description: 'disk a session accumulates on its agent (sizes the /var/lib/docker volume), e.g. 2GiB', flag: 'per-user-disk', kind: 'bytes'},
  {description: 'agents are static (the default): keep N+2', exclusive: ['autoscale'], flag: 'static-agents', kind: 'boolean', live: true},
  {description: 'agents autoscale in a cloud: Kasm manages the capacity, no N+2', exclusive: ['static-agents'], flag: 'autoscale', kind: 'boolean', live: true},
]

export interface WorkspacePlanInput {
  /** As typed, e.g. "4c8g:30%". */
  label: string
  spec: Spec
  /** Share of the container sessions, 0-1. */
  share: number
}

export interface PlanInputs {
  sessions: number
  useCase: UseCase
  architecture: Architecture
  workspaces: WorkspacePlanInput[]
  agentSize: Spec
  agentOverride: null | Spec
  recording: boolean
  rdpSessions: number
  perUserDisk: null | number
  agents: 'autoscale' | 'static'
  /** Flags that took their default. */
  defaulted: string[]
}

/** Raw flag values by flag name: strings, string lists (repeatable) and booleans. */
export type RawPlanInputs = Record<string, boolean | string | string[] | undefined>

/** Beyond these a figure is no plan: the guide's tables stop far below, and past them the arithmetic only overflows. */
const LIMITS = {cores: 1024, disk: 1024 ** 5, memory: 64 * 1024 ** 4, sessions: 1_000_000} as const

const SIZE_FORMS = 'CPUs then memory, e.g. 16c64g, 2c4g, 0.5c768m (m, g: binary, as docker says)'

/** Validates the raw flags against the table; throws a UsageError naming the bad value and the valid forms. */
export function parsePlanInputs(raw: RawPlanInputs, options: {live?: boolean} = {}): PlanInputs {
  if (options.live) {
    const offline = PLAN_INPUTS.filter((spec) => !spec.live && given(raw[spec.flag])).map((spec) => `--${spec.flag}`)
    if (offline.length > 0) {
      throw new UsageError(`${offline.join(', ')} only shape the offline plan: --live reads agents, images and sessions from the deployment`, {
        hint: `with --live give only ${listValues(PLAN_INPUTS.filter((spec) => spec.live).map((spec) => `--${spec.flag}`))}`,
      })
    }
  }

  const defaulted: string[] = []
  const value = (flag: string): string | undefined => {
    const text = raw[flag]
    if (given(text)) return Array.isArray(text) ? text.join(' ') : String(text)
    const spec = specOf(flag)
    if (spec.default !== undefined) defaulted.push(flag)
    return spec.default
  }

  const sessionsText = value('sessions')
  if (sessionsText === undefined && !options.live) throw new UsageError('--sessions is required: give the peak concurrent sessions to plan for, e.g. --sessions 500')
  const sessions = sessionsText === undefined ? 0 : parseCount(sessionsText, '--sessions', 1)
  const rdpSessions = parseCount(value('rdp-sessions')!, '--rdp-sessions', 0)
  if (sessionsText !== undefined && rdpSessions > sessions) {
    throw new UsageError(`--rdp-sessions ${rdpSessions} is more than --sessions ${sessions}: RDP/VNC/SSH sessions are part of the concurrent sessions`)
  }

  const workspaceTexts = Array.isArray(raw.workspace) && raw.workspace.length > 0 ? raw.workspace : [value('workspace')!]
  const perUserText = value('per-user-disk')
  const overrideText = value('agent-override')
  const inputs: Omit<PlanInputs, 'defaulted'> = {
    agentOverride: overrideText === undefined ? null : parseSizeSpec(overrideText, '--agent-override'),
    agentSize: parseSizeSpec(value('agent-size')!, '--agent-size'),
    agents: raw.autoscale === true ? 'autoscale' : 'static',
    architecture: parseChoice(value('architecture')!, 'architecture'),
    perUserDisk: perUserText === undefined ? null : parseDisk(perUserText),
    rdpSessions,
    recording: raw.recording === true,
    sessions,
    useCase: parseChoice(value('use-case')!, 'use-case'),
    workspaces: parseWorkspaces(workspaceTexts),
  }
  return {...inputs, defaulted: PLAN_INPUTS.map((spec) => spec.flag).filter((flag) => defaulted.includes(flag))}
}

function given(value: RawPlanInputs[string]): boolean {
  return value !== undefined && value !== false && !(Array.isArray(value) && value.length === 0)
}

function specOf(flag: string): PlanInputSpec {
  return PLAN_INPUTS.find((spec) => spec.flag === flag)!
}

function parseCount(text: string, flag: string, min: 0 | 1): number {
  const count = /^\d+$/.test(text.trim()) ? Number(text.trim()) : Number.NaN
  if (!Number.isSafeInteger(count) || count < min || count > LIMITS.sessions) {
    throw new UsageError(`${flag} "${text}" is not a session count: use a whole number from ${min} to ${LIMITS.sessions.toLocaleString('en')} (e.g. ${flag} 500)`)
  }

  return count
}

function parseChoice<T extends string>(text: string, flag: 'architecture' | 'use-case'): T {
  const options = specOf(flag).options!
  const choice = text.trim().toLowerCase()
  if (!options.includes(choice)) throw new UsageError(`--${flag} "${text}" is not one the sizing guide covers: use ${listValues(options)}`)
  return choice as T
}

/** "16c64g" → 16 CPUs, 64 GiB. */
export function parseSizeSpec(text: string, flag: string): Spec {
  const match = /^(\d+(?:\.\d+)?)c(\d+(?:\.\d+)?[kmgt](?:i?b)?)$/i.exec(text.trim())
  const cores = match ? Number(match[1]) : 0
  const memory = match ? parseBytes(match[2]) : undefined
  if (!match || cores <= 0 || !memory) throw new UsageError(`${flag} "${text}" is not a size: use ${SIZE_FORMS}`)
  if (cores > LIMITS.cores || memory > LIMITS.memory) throw new UsageError(`${flag} "${text}" is beyond one server: at most ${LIMITS.cores} CPUs and 64 TiB of memory`)
  return {cores, memory}
}

function parseDisk(text: string): number {
  const bytes = parseBytes(text)
  if (!bytes) throw new UsageError(`--per-user-disk "${text}" is not a size: use a number with a unit, e.g. 2GiB, 500MiB, 1.5g, 2GB`)
  if (bytes > LIMITS.disk) throw new UsageError(`--per-user-disk "${text}" is more than 1 PiB a session: use a size up to 1PiB, e.g. 2GiB`)
  return bytes
}

/** "2c4g", "4c8g:30%", "4c8g:30": shares in percent; workspaces without one split what the others leave. */
function parseWorkspaces(texts: readonly string[]): WorkspacePlanInput[] {
  const parsed = texts.map((label) => {
    const [size, share, extra] = label.split(':')
    const forms = `use ${SIZE_FORMS}, optionally with a share of the sessions: 4c8g:30%`
    if (extra !== undefined) throw new UsageError(`--workspace "${label}" is not a workspace: ${forms}`)
    let spec: Spec
    try {
      spec = parseSizeSpec(size, '--workspace')
    } catch {
      throw new UsageError(`--workspace "${label}" is not a workspace: ${forms}`)
    }

    if (share === undefined) return {label, share: undefined, spec}
    const percent = /^\d+(?:\.\d+)?%?$/.test(share.trim()) ? Number.parseFloat(share) : Number.NaN
    if (!(percent > 0 && percent <= 100)) throw new UsageError(`--workspace "${label}": share "${share}" is not a percentage: use 1% to 100%, e.g. 4c8g:30%`)
    return {label, share: percent / 100, spec}
  })
  const given = parsed.reduce((total, w) => total + (w.share ?? 0), 0)
  const open = parsed.filter((w) => w.share === undefined).length
  const shares = parsed.map((w) => w.share ?? (1 - given) / open)
  if (given > 1 + 1e-9 || (open === 0 && Math.abs(given - 1) > 1e-9) || (open > 0 && given >= 1 - 1e-9)) {
    throw new UsageError(`--workspace shares add up to ${Math.round(given * 1000) / 10}%: they must make 100% (workspaces without a share split what is left)`)
  }

  return parsed.map((w, index) => ({label: w.label, share: shares[index], spec: w.spec}))
}

/** "2c4g" for a spec (memory in whole GiB when it is, else MiB). */
export function formatSpec(spec: Spec): string {
  const gib = spec.memory / GiB
  const memory = Number.isInteger(gib) ? `${gib}g` : `${Math.round(spec.memory / 1024 ** 2)}m`
  return `${spec.cores}c${memory}`
}

/** "4 CPUs, 8 GiB RAM, 100 GiB disk", the guide's way of writing a server. */
export function describeSpec(spec: Spec): string {
  const size = (bytes: number) => (Number.isInteger(bytes / GiB) ? `${bytes / GiB} GiB` : formatBytes(bytes))
  return [`${spec.cores} CPUs`, `${size(spec.memory)} RAM`, ...(spec.disk === undefined ? [] : [`${size(spec.disk)} disk`])].join(', ')
}
