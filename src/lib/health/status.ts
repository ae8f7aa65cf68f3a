import type {HealthCheck, HealthStatus, HealthSummary, HealthThreshold} from './types.js'

/** Severity order for the overall status: CRITICAL > WARNING > UNKNOWN > OK (as check_multi aggregates). */
const SEVERITY: Record<HealthStatus, number> = {CRITICAL: 3, OK: 0, UNKNOWN: 1, WARNING: 2}

export function worstStatus(statuses: Iterable<HealthStatus>): HealthStatus {
  let worst: HealthStatus = 'OK'
  for (const status of statuses) if (SEVERITY[status] > SEVERITY[worst]) worst = status
  return worst
}

export function bySeverity(a: HealthCheck, b: HealthCheck): number {
  return SEVERITY[b.status] - SEVERITY[a.status]
}

/** Grades a number against a threshold (`above`: high is bad; `below`: low is bad). */
export function grade(value: number, threshold: HealthThreshold): HealthStatus {
  const beyond = (limit: null | number) =>
    limit !== null && (threshold.direction === 'above' ? value > limit : value < limit)
  if (beyond(threshold.critical)) return 'CRITICAL'
  if (beyond(threshold.warning)) return 'WARNING'
  return 'OK'
}

export function above(warning: null | number, critical: null | number): HealthThreshold {
  return {critical, direction: 'above', warning}
}

export function below(warning: null | number, critical: null | number): HealthThreshold {
  return {critical, direction: 'below', warning}
}

export function summarize(checks: HealthCheck[]): HealthSummary {
  const count = (status: HealthStatus) => checks.filter((c) => c.status === status).length
  return {checks: checks.length, critical: count('CRITICAL'), ok: count('OK'), unknown: count('UNKNOWN'), warning: count('WARNING')}
}

/** "2 critical, 1 warning" / "14 checks OK". */
export function describeSummary(summary: HealthSummary): string {
  const parts = (
    [
      ['critical', summary.critical],
      ['warning', summary.warning],
      ['unknown', summary.unknown],
    ] as const
  )
    .filter(([, n]) => n > 0)
    .map(([label, n]) => `${n} ${label}`)
  return parts.length > 0 ? parts.join(', ') : `${summary.checks} check${summary.checks === 1 ? '' : 's'} OK`
}
