import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import type {RestorePlan, RestoreResult} from '../../lib/backup/restore.js'

export default class BackupRestore extends BaseCommand<typeof BackupRestore> {
  static summary = "Restore a backup over the context's Kasm database (stops and restarts Kasm around it)"
  static description =
    'Checks the backup, stops Kasm on the web app hosts (bin/stop), restores into a staging database, swaps it in ' +
    'by renaming, starts Kasm (bin/start) and waits for the web apps\' health checks. The live database is untouched ' +
    'until the swap; afterwards the previous one is dropped (kept with --keep-previous, or when Kasm is unhealthy).'

  static examples = [
    '<%= config.bin %> backup restore /var/backups/kasm/kasm_db_prod_20250101T020000Z.tar.zst --dry-run',
    '<%= config.bin %> backup restore /var/backups/kasm/kasm_db_prod_20250101T020000Z.tar.zst --yes --keep-previous',
  ]

  static args = {file: Args.string({description: 'backup file to restore', required: true})}

  static flags = {
    via: Flags.option({description: 'run pg_restore inside the kasm_db container or with the local client tools (default: docker when kasm_db runs here)', options: ['docker', 'local'] as const})(),
    'keep-previous': Flags.boolean({description: 'keep the replaced database (renamed <db>_before_restore_<time>) for a rollback'}),
    yes: yesFlag,
    'dry-run': dryRunFlag,
  }

  async run(): Promise<(RestorePlan & {dryRun: true}) | (RestoreResult & {dryRun: false})> {
    const [{planRestore, runRestore}, {detectVia}, {confirmTyped}, {OperationError}] = await Promise.all([
      import('../../lib/backup/restore.js'),
      import('../../lib/backup/pg-tools.js'),
      import('../../lib/output/prompt.js'),
      import('../../lib/errors.js'),
    ])
    const {context} = await this.resolvedContext()
    const {flags} = this
    const plan = await planRestore(context, this.args.file, flags.via ?? (await detectVia()), Boolean(flags['keep-previous']))
    const renderPlan = (p: RestorePlan): string => [`plan for restoring ${p.file} into ${p.target}:`, ...p.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n')
    if (flags['dry-run']) return this.emit({...plan, dryRun: true as const}, renderPlan)

    if (!flags.yes && this.format === 'table') this.log(renderPlan(plan))
    const question = `Restore ${plan.file} over database "${plan.database}" (${plan.target})? All its current data is replaced.`
    if (!(await confirmTyped(question, plan.database, {interactive: this.term.interactive, yes: flags.yes}))) {
      throw new OperationError('not confirmed: nothing was changed', {code: 'NOT_CONFIRMED'})
    }

    const client = context.api.key ? await this.kasm() : undefined
    const result = await runRestore(context, plan, {
      client,
      keepPrevious: Boolean(flags['keep-previous']),
      onEvent: (line) => this.format === 'table' && process.stderr.write(`${line}\n`),
    })
    return this.emit({...result, dryRun: false as const}, (r) =>
      [
        `restored ${r.file} into ${r.database}`,
        ...r.health.map((h) => `  ${h.host}: ${h.message}`),
        r.previousKept ? `previous database kept as ${r.previousDatabase}` : `previous database dropped`,
      ].join('\n'),
    )
  }
}
