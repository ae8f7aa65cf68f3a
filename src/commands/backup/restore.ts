import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {backupDestFlag, dryRunFlag, yesFlag} from '../../flags.js'
import type {RestorePlan, RestoreResult} from '../../lib/backup/restore.js'

export default class BackupRestore extends BaseCommand<typeof BackupRestore> {
  static summary = "Restore a backup over the context's Kasm database (stops and restarts Kasm around it)"
  static description =
    'Checks the backup, stops Kasm on the web app hosts (bin/stop), restores into a staging database, swaps it in ' +
    'by renaming, starts Kasm (bin/start) and waits for the web apps\' health checks. The live database is untouched ' +
    'until the swap; afterwards the previous one is dropped (kept with --keep-previous, or when Kasm is unhealthy).\n\n' +
    'On a single-server install (a host with roles webapp and db) bin/stop also stops kasm_db: as Kasm\'s db_restore does, ' +
    'the database alone is started again (`docker compose up -d db` in /opt/kasm/current/docker) before restoring.\n\n' +
    'The restore drops and creates databases: the role doing it must be SUPERUSER, or have CREATEDB and own the database. ' +
    'The context\'s user is checked before anything is stopped (exit 77 when it cannot); name another role with --admin-user ' +
    '(Kasm\'s db_restore -g, whose default is postgres), its password from --admin-password-env or --admin-password-file.'

  static examples = [
    '<%= config.bin %> backup restore --latest --dry-run',
    '<%= config.bin %> backup restore /var/backups/kasm/kasm_db_prod_20250101T020000Z.tar.zst --dry-run',
    '<%= config.bin %> backup restore /var/backups/kasm/kasm_db_prod_20250101T020000Z.tar.zst --yes --keep-previous',
    '<%= config.bin %> backup restore /var/backups/kasm/kasm_db_prod_20250101T020000Z.tar.zst --admin-user postgres --admin-password-file /root/pg-master.pass --yes',
  ]

  static args = {file: Args.string({description: 'backup file to restore (or --latest)'})}

  static mutates = true
  static flags = {
    latest: Flags.boolean({description: "restore the newest complete backup of the context's backup directory (the plan and the confirmation name it)"}),
    dest: backupDestFlag,
    via: Flags.option({description: 'run pg_restore inside the kasm_db container or with the local client tools (default: docker when kasm_db runs here)', options: ['docker', 'local'] as const})(),
    'admin-user': Flags.string({description: "database role that drops and creates the database (Kasm's db_restore -g, default there: postgres); default: the context's user", helpValue: 'ROLE'}),
    'admin-password-env': Flags.string({description: 'password of --admin-user from this environment variable', exclusive: ['admin-password-file'], helpValue: 'NAME', dependsOn: ['admin-user']}),
    'admin-password-file': Flags.string({description: 'password of --admin-user from this file', helpValue: 'PATH', dependsOn: ['admin-user']}),
    'keep-previous': Flags.boolean({description: 'keep the replaced database (renamed <db>_before_restore_<time>) for a rollback'}),
    yes: yesFlag,
    'dry-run': dryRunFlag,
  }

  async run(): Promise<(RestorePlan & {dryRun: true}) | (RestoreResult & {dryRun: false})> {
    const [{planRestore, runRestore}, {backupToUse}, {detectVia}, {confirmTyped}, {OperationError}] = await Promise.all([
      import('../../lib/backup/restore.js'),
      import('../../lib/backup/select.js'),
      import('../../lib/backup/pg-tools.js'),
      import('../../lib/output/prompt.js'),
      import('../../lib/errors.js'),
    ])
    const {context} = await this.resolvedContext()
    const {flags} = this
    const file = await backupToUse(this.args.file, flags.latest, flags.dest, () => this.resolvedContext())
    const plan = await planRestore(context, file, flags.via ?? (await detectVia()), Boolean(flags['keep-previous']), {user: flags['admin-user']})
    const renderPlan = (p: RestorePlan): string => [`plan for restoring ${p.file} into ${p.target}:`, ...p.steps.map((s, i) => `  ${i + 1}. ${s}`)].join('\n')
    if (flags['dry-run']) return this.emit({...plan, dryRun: true as const}, renderPlan)

    if (!flags.yes && this.format === 'table') this.log(renderPlan(plan))
    const question = `Restore ${plan.file} over database "${plan.database}" (${plan.target})? All its current data is replaced.`
    if (!(await confirmTyped(question, plan.database, {interactive: this.term.interactive, yes: flags.yes}))) {
      throw new OperationError('not confirmed: nothing was changed', {code: 'NOT_CONFIRMED'})
    }

    const client = context.api.key ? await this.kasm() : undefined
    const adminPassword = flags['admin-password-env'] ? {env: flags['admin-password-env']} : flags['admin-password-file'] ? {file: flags['admin-password-file']} : undefined
    const result = await runRestore(context, plan, {
      adminPassword,
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
