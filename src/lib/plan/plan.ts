/**
 * The `kasmctl plan` document (docs/json.md "plan"): the inputs as read (defaults marked), the plan
 * per role with its citations, the agent plan per workspace, and the warnings.
 */
import type {PlanInputs} from './inputs.js'
import {formatSpec} from './inputs.js'
import {planSizing, type PlanRow, type WorkspacePlan} from './sizing.js'

export interface PlanJson {
  mode: 'offline'
  inputs: {
    sessions: number
    useCase: PlanInputs['useCase']
    architecture: PlanInputs['architecture']
    workspaces: Array<{workspace: string; cores: number; memory: number; share: number}>
    agentSize: {cores: number; memory: number}
    agentOverride: null | {cores: number; memory: number}
    recording: boolean
    rdpSessions: number
    perUserDisk: null | number
    agents: PlanInputs['agents']
    /** Flags that took their default. */
    defaulted: string[]
  }
  roles: PlanRow[]
  workspaces: WorkspacePlan[]
  warnings: string[]
}

export function buildPlan(inputs: PlanInputs): PlanJson {
  const sizing = planSizing(inputs)
  return {
    inputs: {
      agentOverride: inputs.agentOverride && {...inputs.agentOverride},
      agentSize: {...inputs.agentSize},
      agents: inputs.agents,
      architecture: inputs.architecture,
      defaulted: inputs.defaulted,
      perUserDisk: inputs.perUserDisk,
      rdpSessions: inputs.rdpSessions,
      recording: inputs.recording,
      sessions: inputs.sessions,
      useCase: inputs.useCase,
      workspaces: inputs.workspaces.map((w) => ({...w.spec, share: Math.round(w.share * 10_000) / 10_000, workspace: w.label})),
    },
    mode: 'offline',
    roles: sizing.roles,
    warnings: sizing.warnings,
    workspaces: sizing.workspaces,
  }
}

/** "200 sessions · remote-work · standard · 2c4g on 16c64g · static agents". */
export function describeInputs(inputs: PlanJson['inputs']): string {
  const defaulted = inputs.defaulted.length > 0 ? ` (defaults: ${inputs.defaulted.map((flag) => `--${flag}`).join(', ')})` : ''
  const workspaces = inputs.workspaces.map((w) => (inputs.workspaces.length > 1 ? `${w.workspace}` : formatSpec(w))).join(' + ')
  const rdp = inputs.rdpSessions > 0 ? ` (${inputs.rdpSessions} RDP/VNC/SSH)` : ''
  return `${inputs.sessions} concurrent sessions${rdp} · ${inputs.useCase} · ${inputs.architecture} · ${workspaces} on ${formatSpec(inputs.agentSize)} · ${inputs.agents} agents${inputs.recording ? ' · recording' : ''}${defaulted}`
}
