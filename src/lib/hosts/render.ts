import type {ChalkInstance} from 'chalk'

import {renderTable} from '../output/table.js'
import type {HostStatus} from './status.js'
import type {ZoneNameHostResult, ZoneNameResult} from './zone-name-result.js'

/** Human output of `host zone-name`: the diffs of a plan, or a table of what each host went through. */
export function renderZoneNameResult(result: ZoneNameResult, chalk: ChalkInstance): string {
  if (result.operation === 'change' && result.journal === null) return renderPlan(result, chalk)
  const table = renderTable(
    [
      {get: (h: ZoneNameHostResult) => h.name, header: 'host'},
      {get: (h) => (h.status === 'running' ? `interrupted${h.step ? ` during ${h.step}` : ''}` : h.status) + (h.services_may_be_stopped ? ' (services may be stopped)' : ''), header: 'status'},
      {get: (h) => h.files.map((file) => `${file.key}: ${file.from} -> ${file.to}`).join(', ') || '-', header: 'change'},
      {get: (h) => h.files.map((file) => file.backup).filter(Boolean).join(', ') || '-', header: 'backup'},
    ],
    result.hosts,
  )
  const headline = {
    done: `Zone "${result.zone}" set on ${result.hosts.filter((h) => h.status === 'done').length} host(s).`,
    planned: `Unfinished run to zone "${result.zone}", started ${result.started_at}:`,
    'rolled-back': `Rolled back: every edited host is in its old zone again.`,
  }[result.status]
  return [headline, table, ...(result.journal ? [chalk.dim(`Journal: ${result.journal}`)] : [])].join('\n')
}

function renderPlan(result: ZoneNameResult, chalk: ChalkInstance): string {
  const lines: string[] = []
  if (result.zone_id === null) lines.push(chalk.yellow(`Zone "${result.zone}" does not exist yet: Kasm registers it when the first web app starts with it (--create-zone).`))
  for (const host of result.hosts) {
    for (const file of host.files) lines.push(colourDiff(file.diff ?? '', chalk))
    for (const file of host.missing_files) lines.push(chalk.dim(`${host.name}: ${file.path} does not exist: skipped`))
    if (host.status === 'unchanged') lines.push(`${host.name}: already in zone "${result.zone}": nothing to change`)
  }

  const changing = result.hosts.filter((host) => host.status === 'planned').map((host) => host.name)
  const order = `one at a time (backup, stop, edit, start, verify): ${changing.join(', ')}`
  if (result.dry_run) lines.push(changing.length > 0 ? `Dry run: ${changing.length} host(s) would be changed ${order}. Nothing was changed.` : 'Dry run: nothing to change.')
  else lines.push(changing.length > 0 ? `${changing.length} host(s) to change ${order}.` : 'Nothing to change.')
  return lines.join('\n')
}

/** Diff lines coloured like git: removed red, added green, headers bold. */
export function colourDiff(diff: string, chalk: ChalkInstance): string {
  return diff
    .trimEnd()
    .split('\n')
    .map((line) => {
      if (line.startsWith('---') || line.startsWith('+++')) return chalk.bold(line)
      if (line.startsWith('@@')) return chalk.cyan(line)
      if (line.startsWith('-')) return chalk.red(line)
      if (line.startsWith('+')) return chalk.green(line)
      return line
    })
    .join('\n')
}

export function renderHostStatuses(statuses: HostStatus[], chalk: ChalkInstance): string {
  const table = renderTable(
    [
      {get: (s: HostStatus) => s.name, header: 'host'},
      {get: (s) => s.roles.join(','), header: 'roles'},
      {get: (s) => (s.access === 'ssh' ? s.ssh : 'local'), header: 'access'},
      {get: (s) => (s.reachable ? 'yes' : chalk.red('no')), header: 'reachable'},
      {get: (s) => s.kasm_version, header: 'version'},
      {get: (s) => (s.services.up === null ? null : s.services.up ? 'yes' : chalk.red('no')), header: 'services up'},
      {get: (s) => s.zone_name, header: 'zone'},
    ],
    statuses,
  )
  const errors = statuses.filter((s) => s.error).map((s) => chalk.red(`${s.name}: ${s.error}`))
  return [table, ...errors].join('\n')
}
