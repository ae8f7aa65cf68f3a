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

/** A check's value in the metric's base unit (OpenMetrics: seconds, bytes, ratios), and which metric holds it. */
const OPENMETRICS_VALUE: Record<HealthUnit, {suffix: string; unit?: string; toBase: (value: number) => number}> = {
  '%': {suffix: '_ratio', toBase: (value) => value / 100},
  B: {suffix: '_bytes', toBase: (value) => value, unit: 'bytes'},
  count: {suffix: '', toBase: (value) => value},
  d: {suffix: '_seconds', toBase: (value) => value * 86_400, unit: 'seconds'},
  ms: {suffix: '_seconds', toBase: (value) => value / 1000, unit: 'seconds'},
  s: {suffix: '_seconds', toBase: (value) => value, unit: 'seconds'},
}

const STATUS_CODE: Record<HealthStatus, number> = {CRITICAL: 2, OK: 0, UNKNOWN: 3, WARNING: 1}

/**
 * The report as OpenMetrics text (what Prometheus scrapes, e.g. through node_exporter's textfile
 * collector): every check's status (0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN, as the exit codes), its
 * numeric value in base units (latency and ages in seconds, sizes in bytes, shares as ratios) and
 * its duration, each labelled with context, role, target and check; then the run's status, counts,
 * duration and time. Families are contiguous and the text ends with `# EOF`, as the format requires.
 */
export function renderOpenMetrics(report: HealthReport): string {
  const families: Array<{name: string; help: string; unit?: string; samples: string[]}> = []
  const family = (name: string, help: string, unit?: string) => {
    let found = families.find((f) => f.name === name)
    if (!found) families.push((found = {help, name, samples: [], unit}))
    return found
  }

  const base = {context: report.context}
  for (const check of report.checks) {
    const labels = {...base, role: check.role, target: check.target, check: check.check}
    family('kasmctl_health_check_status', 'Status of one check: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN').samples.push(sample(labels, STATUS_CODE[check.status]))
    if (typeof check.value === 'number' && check.unit !== null) {
      const {suffix, toBase, unit} = OPENMETRICS_VALUE[check.unit]
      family(`kasmctl_health_check_value${suffix}`, `Value measured by a check${unit ? ` (${unit})` : check.unit === '%' ? ' (ratio)' : ''}`, unit).samples.push(sample(labels, toBase(check.value)))
    }

    family('kasmctl_health_check_duration_seconds', 'Time one check took', 'seconds').samples.push(sample(labels, check.durationMs / 1000))
  }

  family('kasmctl_health_status', 'Status of the whole run (its exit code): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN').samples.push(sample(base, report.exitCode))
  const checks = family('kasmctl_health_checks', 'Checks of the run by status')
  for (const status of ['ok', 'warning', 'critical', 'unknown'] as const) checks.samples.push(sample({...base, status}, report.summary[status]))
  family('kasmctl_health_duration_seconds', 'Time the whole run took', 'seconds').samples.push(sample(base, report.durationMs / 1000))
  family('kasmctl_health_checked_timestamp_seconds', 'When the run started (Unix time)', 'seconds').samples.push(sample(base, Date.parse(report.checkedAt) / 1000))

  const lines = families.flatMap((f) => [`# TYPE ${f.name} gauge`, ...(f.unit ? [`# UNIT ${f.name} ${f.unit}`] : []), `# HELP ${f.name} ${f.help}`, ...f.samples.map((s) => `${f.name}${s}`)])
  return `${lines.join('\n')}\n# EOF`
}

function sample(labels: Record<string, string>, value: number): string {
  const escape = (text: string) => text.replaceAll('\\', '\\\\').replaceAll('"', String.raw`\"`).replaceAll('\n', String.raw`\n`)
  const pairs = Object.entries(labels).map(([key, text]) => `${key}="${escape(text)}"`)
  return `{${pairs.join(',')}} ${Number.isFinite(value) ? value : Number.isNaN(value) ? 'NaN' : value > 0 ? '+Inf' : '-Inf'}`
}
