import type {ChalkInstance} from 'chalk'

import {describeVersion} from '../kasm/version.js'
import {formatBytes} from '../output/units.js'
import {formatDuration} from '../duration.js'
import {renderTable} from '../output/table.js'
import {bySeverity, describeSummary} from './status.js'
import type {HealthCheck, HealthReport, HealthStatus, HealthUnit} from './types.js'

const SYMBOLS: Record<HealthStatus, string> = {CRITICAL: '✗', OK: '✓', UNKNOWN: '?', WARNING: '!'}

function formatValue(check: Pick<HealthCheck, 'unit' | 'value'>): string {
  const {unit, value} = check
  if (value === null) return '-'
  if (typeof value === 'string') return value
  switch (unit) {
    case 'ms': {
      return `${value} ms`
    }

    case 's': {
      return value < 60 ? `${value}s` : formatDuration(value * 1000)
    }

    case 'd': {
      return `${value} d`
    }

    case '%': {
      return `${value}%`
    }

    case 'B': {
      return formatBytes(value)
    }

    default: {
      return String(value)
    }
  }
}

/** The report for people: one table grouped by role (✓ ! ✗ ?), a summary line, then the diagnosis. */
export function renderReport(report: HealthReport, chalk: ChalkInstance): string {
  const paint: Record<HealthStatus, (text: string) => string> = {
    CRITICAL: chalk.red,
    OK: chalk.green,
    UNKNOWN: chalk.magenta,
    WARNING: chalk.yellow,
  }
  let previousRole: string | undefined
  const rows = report.checks.map((check) => {
    const role = check.role === previousRole ? '' : check.role
    previousRole = check.role
    return {...check, roleLabel: role}
  })
  const table = renderTable(
    [
      {get: (r) => r.roleLabel, header: 'role'},
      {get: (r) => paint[r.status](SYMBOLS[r.status]), header: ''},
      {get: (r) => r.target, header: 'target'},
      {get: (r) => r.check, header: 'check'},
      {align: 'right', get: (r) => formatValue(r), header: 'value'},
      {get: (r) => r.message, header: 'reason'},
    ],
    rows,
  )
  const summary = `${paint[report.status](report.status)}: ${describeSummary(report.summary)} (${report.summary.checks} checks in ${formatDuration(report.durationMs)}, context ${report.context})`
  const diagnosis = report.diagnosis.length > 0 ? `\n\nDiagnosis:\n${report.diagnosis.map((line) => `  - ${line}`).join('\n')}` : ''
  const version = report.kasmVersion ? `Kasm version: ${describeVersion(report.kasmVersion)}\n${report.kasmVersion.warning ? `${chalk.yellow('Warning:')} ${report.kasmVersion.warning}\n` : ''}` : ''
  return `${table}\n\n${version}${summary}${diagnosis}`
}

interface PerfGroup {
  label: string
  uom: string
  values: number[]
  direction: 'above' | 'below'
  warning: null | number
  critical: null | number
}

const UOM: Partial<Record<HealthUnit, string>> = {'%': '%', B: 'B', ms: 'ms', s: 's'}
const LABEL_SUFFIX: Record<HealthUnit, string> = {'%': '_pct', B: '_bytes', count: '', d: '_days', ms: '_ms', s: '_s'}

/**
 * One line for Nagios / Icinga (monitoring-plugin guidelines): `KASM <STATUS> - <summary>[: worst
 * problems] | perfdata`. Perfdata has one stable label per role and check, whatever the number of
 * targets: the worst value of the group (highest, or lowest for `below` thresholds such as days to
 * certificate expiry), with its warning and critical levels.
 */
export function renderNagios(report: HealthReport): string {
  const problems = report.checks
    .filter((c) => c.status !== 'OK')
    .sort(bySeverity)
    .map((c) => `${c.target} ${c.check}: ${c.message.length > 80 ? `${c.message.slice(0, 79)}…` : c.message}`)
  const shown = problems.slice(0, 3).join('; ') + (problems.length > 3 ? `; +${problems.length - 3} more` : '')
  const text = `KASM ${report.status} - ${describeSummary(report.summary)}${shown ? `: ${shown}` : ''}`.replaceAll('|', '/')
  return `${text} | ${perfdata(report).join(' ')}`
}

export function nagiosUnknown(message: string): string {
  return `KASM UNKNOWN - ${message.replaceAll('|', '/').replaceAll(/\s+/g, ' ').trim()}`
}

function perfdata(report: HealthReport): string[] {
  const groups = new Map<string, PerfGroup>()
  for (const check of report.checks) {
    if (typeof check.value !== 'number' || check.unit === null) continue
    const label = `${check.role}_${check.check === 'healthcheck' ? 'latency' : check.check}`.replaceAll('-', '_') + LABEL_SUFFIX[check.unit]
    const group = groups.get(label) ?? {
      critical: check.threshold?.critical ?? null,
      direction: check.threshold?.direction ?? 'above',
      label,
      uom: UOM[check.unit] ?? '',
      values: [],
      warning: check.threshold?.warning ?? null,
    }
    group.values.push(check.value)
    groups.set(label, group)
  }

  const {summary} = report
  const counts = [`checks=${summary.checks}`, `critical=${summary.critical}`, `warning=${summary.warning}`, `unknown=${summary.unknown}`]
  return [
    ...counts,
    ...[...groups.values()].map((g) => {
      const value = g.direction === 'below' ? Math.min(...g.values) : Math.max(...g.values)
      const level = (limit: null | number) => (limit === null ? '' : g.direction === 'below' ? `${limit}:` : String(limit))
      return `${g.label}=${value}${g.uom};${level(g.warning)};${level(g.critical)};0;`
    }),
  ]
}
