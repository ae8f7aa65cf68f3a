import {renderTable} from '../output/table.js'
import {formatBytes} from '../output/units.js'
import {citeText} from './guide.js'
import {describeSpec, formatSpec} from './inputs.js'
import type {ImageRoom, LivePlanJson, RoleTarget, ZoneRoom} from './live.js'
import {describeInputs, type PlanJson} from './plan.js'
import type {PlanRow} from './sizing.js'

/** The plan as a table (role · count · spec · how), then each role's notes and the rules it cites. */
function renderPlanRows(rows: readonly PlanRow[]): string {
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

/** `plan --live`: room per zone and image (now, largest agent lost, two largest lost), override advice, and the target. */
export function renderLivePlan(plan: LivePlanJson): string {
  const {webapps} = plan
  const lines = [
    `Deployment now: ${plan.sessions} sessions; ${webapps.healthy} healthy of ${webapps.count} web app(s) at ${webapps.perServer} each hold ${webapps.holds}, ${webapps.holdsWithOneLost} with one lost`,
    `Database: ${formatBytes(plan.database.sizeBytes)}, of which the logs table ${formatBytes(plan.database.logsTableBytes)}`,
    '',
    renderTable(
      [
        {get: (row: ZoneRoom & ImageRoom) => row.zone, header: 'zone'},
        {align: 'right', get: (row) => `${row.availableAgents}/${row.agents}`, header: 'agents'},
        {align: 'right', get: (row) => row.sessions, header: 'sessions'},
        {get: (row) => `${row.image} (${formatSpec(row.size)})`, header: 'image'},
        {align: 'right', get: (row) => row.now, header: 'more now'},
        {align: 'right', get: (row) => (row.largestAgent ? `${row.nPlus1} (${row.largestAgent})` : row.nPlus1), header: 'largest agent lost'},
        {align: 'right', get: (row) => row.nPlus2, header: 'two largest lost'},
      ],
      plan.zones.flatMap((zone) => zone.images.map((image) => ({...zone, ...image}))),
    ),
  ]
  if (plan.overrides.length > 0) {
    lines.push('', 'Override advice (CPU runs out with memory to spare, as in the sizing guide\'s first example):')
    for (const o of plan.overrides) {
      lines.push(`  ${o.zone}/${o.agent}, ${o.image}: ${o.perAgent} per agent at ${formatSpec(o.counted)}; override CPUs to ${o.suggested.cores} → ${o.perAgentWithOverride} (watch RAM)`)
    }
  }

  if (plan.target) {
    lines.push(
      '',
      `To reach ${plan.inputs.sessions} sessions:`,
      renderTable(
        [
          {get: (row: RoleTarget) => row.role, header: 'role'},
          {get: (row) => row.target, header: 'target'},
          {align: 'right', get: (row) => row.have, header: 'have'},
          {align: 'right', get: (row) => row.need, header: 'need'},
          {align: 'right', get: (row) => (row.add > 0 ? `+${row.add}` : row.spare > 0 ? `${row.spare} spare` : 'ok'), header: 'change'},
          {get: (row) => row.summary, header: 'how'},
        ],
        plan.target,
      ),
      ...[...new Set(plan.target.flatMap((row) => row.why.map((c) => citeText(c))))].map((line) => `  why: ${line}`),
    )
  }

  return lines.join('\n')
}
