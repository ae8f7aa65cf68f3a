import {formatDuration} from '../duration.js'
import {formatBytes, formatCount} from '../output/units.js'
import type {DiskCheck, TableFigures, VacuumPlan, VacuumResult} from './vacuum.js'

function figures(f: TableFigures): string {
  return `${formatBytes(f.totalBytes)} (table ${formatBytes(f.tableBytes)}, indexes ${formatBytes(f.indexBytes)}), ${formatCount(f.liveTuples)} live and ${formatCount(f.deadTuples)} dead rows`
}

function disk(check: DiskCheck): string {
  if (!check.checked) return `Free disk: cannot tell (${check.reason}); VACUUM FULL needs about ${formatBytes(check.neededBytes)} free.`
  const enough = (check.freeBytes ?? 0) >= check.neededBytes
  return `Free disk: ${formatBytes(check.freeBytes)} in ${check.dataDirectory}; needs about ${formatBytes(check.neededBytes)}: ${enough ? 'enough' : 'NOT enough'}.`
}

export function renderVacuumPlan(plan: VacuumPlan): string {
  const lines = [`Would run: ${plan.statement}`, `${plan.table}: ${figures(plan.before)}.`]
  if (plan.disk) lines.push(disk(plan.disk))
  return lines.join('\n')
}

export function renderVacuum(result: VacuumResult): string {
  const lines = [
    `${result.statement}: done in ${formatDuration(result.durationMs)}.`,
    `Before: ${figures(result.before)}.`,
    `After:  ${figures(result.after)}.`,
  ]
  lines.push(
    result.full
      ? `Returned ${formatBytes(result.returnedBytes)} to the operating system.`
      : `Returned ${formatBytes(result.returnedBytes)} to the operating system; the space of deleted rows is now reusable by new rows (only VACUUM FULL, in a maintenance window, gives it back).`,
  )
  return lines.join('\n')
}
