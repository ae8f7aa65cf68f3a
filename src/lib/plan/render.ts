import {renderTable} from '../output/table.js'
import {citeText} from './guide.js'
import {describeSpec} from './inputs.js'
import {describeInputs, type PlanJson} from './plan.js'
import type {PlanRow} from './sizing.js'

/** The plan as a table (role · count · spec · how), then each role's notes and the rules it cites. */
export function renderPlanRows(rows: readonly PlanRow[]): string {
  const table = renderTable(
    [
      {get: (row: PlanRow) => row.role, header: 'role'},
      {align: 'right', get: (row) => row.count, header: 'count'},
      {get: (row) => (row.spec ? describeSpec(row.spec) : null), header: 'spec'},
      {get: (row) => row.summary, header: 'how'},
    ],
    [...rows],
  )
  const details = rows.flatMap((row) => [
    '',
    `${row.role}:`,
    ...row.notes.map((note) => `  - ${note}`),
    ...row.why.map((citation) => `  why: ${citeText(citation)}`),
  ])
  return [table, ...details].join('\n')
}

export function renderPlan(plan: PlanJson): string {
  return [`Plan for ${describeInputs(plan.inputs)}`, '', renderPlanRows(plan.roles)].join('\n')
}
