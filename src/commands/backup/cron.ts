import {Flags} from '@oclif/core'
import {userInfo} from 'node:os'
import {resolve} from 'node:path'

import {BaseCommand} from '../../base-command.js'
import {backupDestFlag, backupKeepAgeMs, backupRetentionFlags, backupVerifyFlag, dryRunFlag, yesFlag} from '../../flags.js'

export default class BackupCron extends BaseCommand<typeof BackupCron> {
  static summary = 'Print or install the crontab line that runs `backup create --quiet` on a schedule'
  static description =
    'The line sets PATH (only the directories where node, pg_dump, zstd, docker... are found now) and KASMCTL_CONFIG, and names the context, so it ' +
    "runs under cron's bare environment. --install puts it in your crontab (crontab -l / crontab -), replacing this " +
    "context's previous line: running it twice changes nothing. backup create's retention and format flags are passed on."

  static examples = [
    "<%= config.bin %> backup cron --schedule '0 2 * * *' --print",
    "<%= config.bin %> backup cron --schedule '30 1 * * mon-fri' --install --log-file /var/log/kasmctl-backup.log",
    "<%= config.bin %> backup cron --schedule @daily --keep 7 --keep-age 14d --min-keep 3 --compress zstd --exclude-logs --print",
    "<%= config.bin %> backup cron --schedule '0 2 * * *' --install --dry-run   # the line, and whether your crontab would change",
  ]

  static mutates = true

  static flags = {
    schedule: Flags.string({description: 'cron schedule: 5 fields (minute hour day-of-month month day-of-week) or @daily', required: true}),
    install: Flags.boolean({description: "install the line into the current user's crontab", exclusive: ['print']}),
    print: Flags.boolean({description: 'print the line (the default)'}),
    dest: backupDestFlag,
    'log-file': Flags.string({description: 'make each run append a line to this file'}),
    'metrics-file': Flags.string({description: 'make each run write node_exporter textfile metrics to this file'}),
    'exclude-logs': Flags.boolean({description: 'back up without the rows of the logs table'}),
    compress: Flags.option({description: 'compression of each backup (default: zstd when installed, else gzip)', options: ['zstd', 'gzip', 'none'] as const})(),
    format: Flags.option({description: 'pg_dump archive format of each backup (default: tar)', options: ['tar', 'custom'] as const})(),
    ...backupRetentionFlags,
    ...backupVerifyFlag,
    'dry-run': dryRunFlag,
    yes: yesFlag,
  }

  async run(): Promise<{schedule: string; line: string; installed: boolean; changed: boolean; dryRun: boolean}> {
    const [{cronCreateArgs, cronLine, cronPath, installCronLine, validateSchedule}, {backupDir, checkDestination}, {retentionPolicy}, {checkOutputFile}, {UsageError}, {formatDurationExact}] = await Promise.all([
      import('../../lib/backup/cron.js'),
      import('../../lib/backup/destination.js'),
      import('../../lib/backup/retention.js'),
      import('../../lib/fs-util.js'),
      import('../../lib/errors.js'),
      import('../../lib/duration.js'),
    ])
    const {flags} = this
    const schedule = validateSchedule(flags.schedule)
    const {config, context, source} = await this.resolvedContext()
    if (source === 'env') throw new UsageError('cron needs a saved context: environment-only contexts (KASMCTL_API_URL) are not available to cron jobs', {hint: 'save one with `kasmctl context add`'})
    // Checked now, as each run would check them: a line that can only fail is never installed.
    const keepAgeMs = backupKeepAgeMs(flags)
    retentionPolicy({keep: flags.keep, keepAgeMs, minKeep: flags['min-keep']}, context.backup)
    const dest = resolve(backupDir(flags.dest, context))
    await checkDestination(dest)
    // Absolute: cron starts the job in the home directory.
    const logFile = flags['log-file'] && resolve(flags['log-file'])
    const metricsFile = flags['metrics-file'] && resolve(flags['metrics-file'])
    if (logFile) await checkOutputFile(logFile, '--log-file')
    if (metricsFile) await checkOutputFile(metricsFile, '--metrics-file')
    const createArgs = cronCreateArgs({
      compress: flags.compress,
      dest: flags.dest && dest,
      excludeLogs: flags['exclude-logs'],
      format: flags.format,
      keep: flags.keep,
      keepAge: keepAgeMs === undefined ? undefined : formatDurationExact(keepAgeMs),
      logFile,
      metricsFile,
      minKeep: flags['min-keep'],
      verify: flags.verify,
    })
    const line = cronLine({
      configPath: config.path,
      context: context.name,
      createArgs,
      kasmctl: process.argv[1],
      path: cronPath(process.env, process.execPath),
      schedule,
    })
    const dryRun = flags['dry-run']
    if (!flags.install) return this.emit({changed: false, dryRun, installed: false, line, schedule}, (r) => r.line)
    const {changed} = await installCronLine(line, context.name, {dryRun})
    const crontab = `the crontab of ${userInfo().username}`
    return this.emit({changed, dryRun, installed: !dryRun, line, schedule}, (r) =>
      r.dryRun
        ? `${r.changed ? `would install into ${crontab}` : `already in ${crontab}, would be unchanged`} (dry run): ${r.line}`
        : `${r.changed ? 'installed' : 'already installed, unchanged'}: ${r.line}`,
    )
  }
}
