import {formatDuration} from '../duration.js'
import {renderDetails, renderTable} from '../output/table.js'
import {shellJoin} from '../remote/shell.js'
import type {Terminal} from '../output/terminal.js'
import type {SessionView} from '../sessions/sessions.js'
import {renderSessions} from '../sessions/render.js'
import type {AgentView, ToggleResult} from './agents.js'
import type {ImageRoomView, ZoneCapacityView} from './capacity.js'
import type {DrainOutcome, DrainPlan} from './drain.js'
import {describeSize, formatMemory} from './guard.js'
import type {RotationSummary} from './rotate.js'

function age(seconds: null | number): string {
  if (seconds === null) return '-'
  return seconds < 1 ? '0s' : formatDuration(seconds * 1000)
}

function withOverride(effective: string, override: number): string {
  return override > 0 ? `${effective}*` : effective
}

/** Why kasmctl disabled the agent: the reason, else the command. */
function disabledNote(agent: AgentView): string {
  if (!agent.disabled) return ''
  const drain = agent.disabled.drain ? ` (${agent.disabled.by} ${agent.disabled.drain.status})` : ''
  return agent.disabled.reason ? `${agent.disabled.reason}${drain}` : `agent ${agent.disabled.by}${drain}`
}

export function renderAgentList(agents: AgentView[], term: Pick<Terminal, 'chalk'>): string {
  if (agents.length === 0) return 'No Docker agents.'
  const table = renderTable(
    [
      {get: (a: AgentView) => a.hostname, header: 'hostname'},
      {get: (a) => a.zone_name, header: 'zone'},
      {get: (a) => (a.enabled ? 'yes' : term.chalk.yellow('no')), header: 'enabled'},
      {get: (a) => (a.operational_status === 'running' ? a.operational_status : term.chalk.red(a.operational_status ?? '-')), header: 'status'},
      {align: 'right', get: (a) => age(a.last_reported_age_seconds), header: 'check-in'},
      {align: 'right', get: (a) => a.sessions, header: 'sessions'},
      {align: 'right', get: (a) => withOverride(String(a.effective_cores), a.cores_override), header: 'cores'},
      {align: 'right', get: (a) => withOverride(formatMemory(a.effective_memory), a.memory_override), header: 'memory'},
      {align: 'right', get: (a) => a.free_sessions ?? '-', header: 'free'},
      {get: (a) => disabledNote(a), header: 'disabled by kasmctl'},
    ],
    agents,
  )
  const note = agents.some((a) => a.cores_override > 0 || a.memory_override > 0) ? '\n* override set in Kasm' : ''
  return `${table}${note}`
}

export function renderAgent(agent: AgentView, sessions: SessionView[]): string {
  const details = renderDetails([
    ['Hostname', agent.hostname],
    ['Id', agent.server_id],
    ['Zone', agent.zone_name],
    ['Enabled', agent.enabled],
    ['Status', agent.operational_status],
    ['Last check-in', agent.last_reported ? `${agent.last_reported} (${age(agent.last_reported_age_seconds)} ago)` : null],
    ['Cores', `${agent.effective_cores}${agent.cores_override > 0 ? ` (override; detected ${agent.cores})` : ''}`],
    ['Memory', `${formatMemory(agent.effective_memory)}${agent.memory_override > 0 ? ` (override; detected ${formatMemory(agent.memory)})` : ''}`],
    ['Sessions', agent.sessions],
    ['Free sessions', agent.free_sessions],
    ['Agent version', agent.agent_version],
    ...(agent.disabled
      ? ([
          ['Disabled by', `kasmctl agent ${agent.disabled.by} at ${agent.disabled.at}`],
          ['Reason', agent.disabled.reason],
          ...(agent.disabled.drain ? [['Drain', `${agent.disabled.drain.status}, deadline ${agent.disabled.drain.deadline_at}${agent.disabled.drain.force ? ' (--force)' : ''}`]] : []),
        ] as Array<[string, unknown]>)
      : []),
  ])
  return sessions.length > 0 ? `${details}\n\n${renderSessions(sessions)}` : details
}

export function renderToggle(results: ToggleResult[], dryRun = false): string {
  return results
    .map((r) => {
      const state = r.enabled ? 'enabled' : 'disabled'
      const reason = r.reason ? ` (reason: ${r.reason})` : ''
      if (!r.changed) return `agent ${r.hostname} already ${state}${reason}`
      return dryRun ? `would ${r.enabled ? 'enable' : 'disable'} agent ${r.hostname}${reason} (dry run)` : `agent ${r.hostname} ${state}${reason}`
    })
    .join('\n')
}

/** One row per zone and image: how many more fit now, after losing the largest agent (N+1) and the two largest (N+2). */
export function renderCapacity(zones: ZoneCapacityView[], term: Pick<Terminal, 'chalk'>): string {
  if (zones.length === 0) return 'No zones with Docker agents.'
  const rows = zones.flatMap((zone) => (zone.images.length > 0 ? zone.images : [undefined]).map((image) => ({image, zone})))
  const more = (n: null | number) => (n === null ? 'any' : n === 0 ? term.chalk.red('0') : String(n))
  const afterLoss = (room: undefined | ImageRoomView['n_plus_1']) => {
    if (!room) return '-'
    const without = room.unplaced.reduce((n, s) => n + s.sessions, 0)
    return without > 0 ? `${more(room.more)} ${term.chalk.red(`(${without} without a place)`)}` : more(room.more)
  }

  const table = renderTable(
    [
      {get: (r: (typeof rows)[number]) => r.zone.zone_name, header: 'zone'},
      {align: 'right', get: (r) => `${r.zone.available_agents}/${r.zone.agents}`, header: 'agents'},
      {get: (r) => r.image?.image ?? '-', header: 'image'},
      {align: 'right', get: (r) => (r.image ? describeSize(r.image.size) : '-'), header: 'size'},
      {align: 'right', get: (r) => r.image?.sessions ?? '-', header: 'in use'},
      {align: 'right', get: (r) => (r.image ? more(r.image.now) : '-'), header: 'fit now'},
      {align: 'right', get: (r) => afterLoss(r.image?.n_plus_1), header: 'n+1'},
      {align: 'right', get: (r) => afterLoss(r.image?.n_plus_2), header: 'n+2'},
    ],
    rows,
  )
  return `${table}
More sessions of each image that fit, Kasm's way: each on one agent with room for it (free cores are never pooled).`
}

/** What a drain ended with, and what to do next. */
export function renderDrainOutcome(outcome: DrainOutcome): string {
  switch (outcome.status) {
    case 'drained': {
      return `agent ${outcome.hostname} drained${outcome.destroyed.length > 0 ? ` (${outcome.destroyed.length} session(s) destroyed by --force)` : ''}; it stays disabled. Enable it again with: kasmctl agent enable ${outcome.hostname}`
    }

    case 'interrupted': {
      return [
        `Stopped watching: the drain goes on. Agent ${outcome.hostname} stays disabled with ${outcome.sessions_left.length} session(s) left (deadline ${outcome.deadline_at}).`,
        `Watch again:  kasmctl agent drain ${outcome.hostname} --monitor`,
        `Undo:         kasmctl agent enable ${outcome.hostname}`,
      ].join('\n')
    }

    default: {
      return ''
    }
  }
}

export function renderDrainPlan(plan: DrainPlan): string {
  return [
    `would drain ${plan.hostname} (dry run: nothing changed): ${plan.sessions.length} session(s) to wait for${plan.force ? ', destroyed at the deadline (--force)' : ''}`,
    ...plan.capacity.map((c) => `capacity ${c.ok ? 'ok' : 'REFUSED'}: ${c.message}`),
    renderSessions(plan.sessions),
  ].join('\n')
}

export function renderRotation(summary: RotationSummary): string {
  if (!summary.plan) {
    const done = summary.agents.map((a) => `${a.hostname}: ${a.step}${a.was_enabled ? '' : ' (was disabled: left disabled)'}`)
    return `rotation of zone "${summary.zone_name}" ${summary.status}\n${done.join('\n')}`
  }

  const lines = [`Plan for zone "${summary.zone_name}" (dry run: nothing changed):`]
  for (const [index, step] of summary.plan.entries()) {
    lines.push(`${index + 1}. ${step.agents.join(', ')}: drain, then ${step.argv.map((argv) => shellJoin(argv)).join(' ; ')}, wait for check-in, enable`)
    lines.push(`   capacity ${step.capacity.ok ? 'ok' : 'REFUSED'}: ${step.capacity.message}`)
  }

  return lines.join('\n')
}
