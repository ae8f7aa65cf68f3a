import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, durationFlag, fromHostFlag, yesFlag} from '../../flags.js'
import {checkTableName} from '../../lib/db/identifier.js'
import {OperationError, exitCodeHelp} from '../../lib/errors.js'
import {confirmTyped} from '../../lib/output/prompt.js'
import type {VacuumPlan, VacuumResult} from '../../lib/db/vacuum.js'

export default class DbVacuum extends BaseCommand<typeof DbVacuum> {
  static exitCodes = exitCodeHelp([0, 1, 64, 69, 75, 77])
  static summary = 'VACUUM a table (default logs) without autovacuum throttling; --full returns space to the OS offline'
  static description =
    'Plain VACUUM (ANALYZE) runs beside Kasm and makes the space of deleted rows reusable. --full rewrites the table under an ACCESS EXCLUSIVE lock that blocks Kasm for the whole run: only in a maintenance window (or with Kasm stopped). It checks the free disk when it can, and reports the space returned.'

  static examples = [
    '<%= config.bin %> db vacuum',
    '<%= config.bin %> db vacuum --table logs --no-analyze',
    '<%= config.bin %> db vacuum --full --dry-run',
    '<%= config.bin %> db vacuum --full --lock-timeout 10s --yes',
  ]

  static mutates = true
  static flags = {
    analyze: Flags.boolean({allowNo: true, default: true, description: 'also refresh the planner statistics (VACUUM (ANALYZE))'}),
    'dry-run': dryRunFlag,
    'from-host': fromHostFlag,
    full: Flags.boolean({default: false, description: 'VACUUM FULL: rewrite the table and return the space to the OS (blocks Kasm; maintenance window only)'}),
    'lock-timeout': durationFlag({default: 5000, defaultHelp: async () => '5s', description: 'give up when the table cannot be locked within this long'}),
    table: Flags.string({default: 'logs', description: 'table to vacuum', helpValue: 'TABLE', parse: async (input) => checkTableName(input)}),
    yes: yesFlag,
  }

  async run(): Promise<VacuumPlan | VacuumResult> {
    const {flags} = this
    const [{context}, {withDatabase}, vacuum, render] = await Promise.all([
      this.resolvedContext(),
      import('../../lib/db/connect.js'),
      import('../../lib/db/vacuum.js'),
      import('../../lib/db/vacuum-report.js'),
    ])
    return withDatabase(context, flags['from-host'], async (db) => {
      const plan = await vacuum.planVacuum(db, {analyze: flags.analyze, full: flags.full, table: flags.table})
      if (flags['dry-run']) return this.emit(plan, render.renderVacuumPlan)
      if (plan.full) {
        if (!flags.yes) this.log(render.renderVacuumPlan(plan))
        const question = `VACUUM FULL locks ${plan.table} for its whole run: Kasm cannot read or write it until it finishes. Confirm that Kasm is stopped or in a maintenance window.`
        if (!(await confirmTyped(question, plan.table, {interactive: this.term.interactive, yes: flags.yes}))) {
          throw new OperationError('VACUUM FULL cancelled: nothing was changed', {code: 'CANCELLED'})
        }
      }

      const {withProgress} = await import('../../lib/output/progress.js')
      const result = await withProgress({title: plan.statement, tty: this.term.stdoutIsTTY && !this.jsonEnabled()}, () =>
        vacuum.runVacuum(db, plan, {lockTimeoutMs: flags['lock-timeout']}),
      )
      return this.emit(result, render.renderVacuum)
    })
  }
}
