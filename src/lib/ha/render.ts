import {renderTable} from '../output/table.js'
import type {HaReport, HaRow} from './posture.js'

/** The HA guide's shape: role · target · what we found · minimum for production HA · failure impact · verdict; then the reasons of what is not OK. */
export function renderHa(report: HaReport): string {
  const table = renderTable(
    [
      {get: (row: HaRow) => row.role, header: 'role'},
      {get: (row) => row.target, header: 'target'},
      {get: (row) => row.verdict, header: 'verdict'},
      {get: (row) => row.found, header: 'found'},
      {get: (row) => row.minimum, header: 'minimum for HA'},
      {get: (row) => row.impact, header: 'failure impact'},
    ],
    report.rows,
  )
  const reasons = report.rows
    .filter((row) => row.verdict !== 'OK')
    .flatMap((row) => [`  ${row.role} ${row.target}:`, ...row.why.map((line) => `    ${line}`)])
  const summary = `HA ${report.status}: context ${report.context}, peak concurrent sessions ${report.peak.sessions} (${report.peak.source}) since ${report.peak.since}`
  return [summary, '', table, ...(reasons.length > 0 ? ['', 'Why:', ...reasons] : [])].join('\n')
}
