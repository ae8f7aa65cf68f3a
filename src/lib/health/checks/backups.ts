import {listBackups} from '../../backup/catalog.js'
import {contextSlug} from '../../backup/naming.js'
import {formatAge, formatDuration} from '../../duration.js'
import {NotFoundError} from '../../errors.js'
import type {RunContext} from '../run-context.js'
import {above, grade} from '../status.js'
import type {HealthCheck} from '../types.js'

/**
 * Age of the newest complete backup of this context in its backup directory (warn > 26 h, crit >
 * 50 h by default). A series that stopped is CRITICAL; a directory with no backup of this context
 * yet (a new setup: nothing has run) is a WARNING that says how to start one.
 */
export async function backupChecks(run: RunContext): Promise<HealthCheck[]> {
  const dir = run.context.backup!.dir
  return [
    await run.check('backup', dir, 'newest', async () => {
      const {critical, warning} = run.thresholds.backupAgeSeconds
      const threshold = above(warning, critical)
      const limits = `warning > ${formatDuration(warning * 1000)}, critical > ${formatDuration(critical * 1000)}`
      const start = 'schedule one with `kasmctl backup cron --install`'
      let entries
      try {
        entries = await listBackups(dir, {context: contextSlug(run.context.name)})
      } catch (error) {
        if (!(error instanceof NotFoundError)) throw error
        return {message: `no backup yet: ${dir} does not exist; ${start}`, status: 'WARNING', threshold, unit: 's', value: null}
      }

      // A damaged backup is no backup: age is measured from the newest sound one, and the damage is named.
      const damaged = entries.filter((entry) => entry.complete && entry.damage).length
      const damage = damaged > 0 ? `; ${damaged} damaged backup(s) not counted (see \`kasmctl backup list\`)` : ''
      const newest = entries.find((entry) => entry.complete && !entry.damage)
      if (!newest) {
        const partial = entries.length > 0 ? ` (${entries.length} incomplete: a backup run failed or is running)` : ''
        return {message: `no complete backup of context "${run.context.name}" yet${partial}${damage}; ${start}`, status: 'WARNING', threshold, unit: 's', value: null}
      }

      const age = Math.max(0, Math.round((run.now.getTime() - newest.createdAt.getTime()) / 1000))
      const graded = grade(age, threshold)
      const status = damaged > 0 && graded === 'OK' ? 'WARNING' : graded
      const checksum = newest.verified ? '' : ', checksum file missing or wrong'
      const limit = graded === 'OK' ? '' : ` (${limits}): is the backup cron job running?`
      return {message: `${newest.file} is ${formatAge(newest.createdAt, run.now)} old${checksum}${damage}${limit}`, status, threshold, unit: 's', value: age}
    }),
  ]
}
