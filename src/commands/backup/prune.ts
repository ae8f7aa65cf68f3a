import {BaseCommand} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import {backupDestFlag, backupKeepAgeMs, backupRetentionFlags, backupVerifyFlag, dryRunFlag, yesFlag} from '../../flags.js'
import type {DamagedJson, RemovedJson} from '../../lib/backup/render.js'

export default class BackupPrune extends BaseCommand<typeof BackupPrune> {
  static exitCodes = exitCodeHelp([0, 1, 64, 69, 75, 77])
  static summary = 'Remove old backups by count and age, never below --min-keep verified ones'
  static description =
    'A backup goes when it is beyond the newest --keep, or older than --keep-age; the newest --min-keep verified ' +
    "backups always stay. Only this context's backups are considered. Takes the backup directory's lock. " +
    'A damaged backup (size unlike its manifest, checksum mismatch; --verify hashes every file first) takes no place in --keep, ' +
    'never counts towards --min-keep, and is left in place with a warning.'

  static examples = [
    '<%= config.bin %> backup prune --keep 7 --dry-run',
    '<%= config.bin %> backup prune --keep-age 14d --min-keep 3',
    '<%= config.bin %> backup prune --keep 7 --verify   # hash every backup before deciding',
  ]

  static flags = {
    dest: backupDestFlag,
    ...backupRetentionFlags,
    ...backupVerifyFlag,
    'dry-run': dryRunFlag,
    yes: yesFlag,
  }

  static mutates = true

  async run(): Promise<{dir: string; dryRun: boolean; removed: RemovedJson[]; kept: number; damaged: DamagedJson[]}> {
    const [{pruneBackups}, {backupDir}, {damagedWarning, retentionPolicy}, {damagedJson, removedJson, renderRemoved}] = await Promise.all([
      import('../../lib/backup/prune.js'),
      import('../../lib/backup/destination.js'),
      import('../../lib/backup/retention.js'),
      import('../../lib/backup/render.js'),
    ])
    const {context} = await this.resolvedContext()
    const {flags} = this
    const policy = retentionPolicy({keep: flags.keep, keepAgeMs: backupKeepAgeMs(flags), minKeep: flags['min-keep'], verify: flags.verify}, context.backup)
    if (!policy) {
      const {UsageError} = await import('../../lib/errors.js')
      throw new UsageError('nothing to prune by: pass --keep N and/or --keep-age DURATION, or set backup.keep / backup.keepDays in the context')
    }

    const dir = backupDir(flags.dest, context)
    const plan = await pruneBackups(dir, context.name, policy, {dryRun: Boolean(flags['dry-run']), onWarning: (line) => this.warn(line)})
    for (const entry of plan.damaged) this.warn(damagedWarning(entry))
    const result = {damaged: damagedJson(plan.damaged), dir, dryRun: Boolean(flags['dry-run']), kept: plan.keep.length, removed: removedJson(plan.remove)}
    return this.emit(result, (r) => [...renderRemoved(r.removed, r.dryRun), `${r.removed.length === 0 ? 'nothing to remove; ' : ''}${r.kept} backup(s) kept in ${r.dir}`].join('\n'))
  }
}
