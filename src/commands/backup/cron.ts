import {Flags} from '@oclif/core'
import {dirname} from 'node:path'

import {BaseCommand} from '../../base-command.js'
import {backupDestFlag} from '../../flags.js'

export default class BackupCron extends BaseCommand<typeof BackupCron> {
  static summary = 'Print or install the crontab line that runs `backup create --quiet` on a schedule'
  static description =
    'The line sets PATH (node, pg_dump, zstd, docker as found now) and KASMCTL_CONFIG, and names the context, so it ' +
    "runs under cron's bare environment. --install puts it in your crontab (crontab -l / crontab -), replacing this " +
    "context's previous line: running it twice changes nothing."

  static examples = [
    "<%= config.bin %> backup cron --schedule '0 2 * * *' --print",
    "<%= config.bin %> backup cron --schedule '30 1 * * mon-fri' --install --log-file /var/log/kasmctl-backup.log",
  ]

  static flags = {
    schedule: Flags.string({description: 'cron schedule: 5 fields (minute hour day-of-month month day-of-week) or @daily', required: true}),
    install: Flags.boolean({description: "install the line into the current user's crontab", exclusive: ['print']}),
    print: Flags.boolean({description: 'print the line (the default)'}),
    dest: backupDestFlag,
    'log-file': Flags.string({description: 'make each run append a line to this file'}),
    'exclude-logs': Flags.boolean({description: 'back up without the rows of the logs table'}),
  }

  async run(): Promise<{schedule: string; line: string; installed: boolean; changed: boolean}> {
    const [{cronLine, installCronLine, validateSchedule}, {backupDir, checkDestination}, {UsageError}] = await Promise.all([
      import('../../lib/backup/cron.js'),
      import('../../lib/backup/destination.js'),
      import('../../lib/errors.js'),
    ])
    const schedule = validateSchedule(this.flags.schedule)
    const {config, context, source} = await this.resolvedContext()
    if (source === 'env') throw new UsageError('cron needs a saved context: environment-only contexts (KASMCTL_API_URL) are not available to cron jobs', {hint: 'save one with `kasmctl context add`'})
    const dest = backupDir(this.flags.dest, context)
    await checkDestination(dest)
    const line = cronLine({
      configPath: config.path,
      context: context.name,
      createArgs: [...(this.flags.dest ? ['--dest', dest] : []), ...(this.flags['log-file'] ? ['--log-file', this.flags['log-file']] : []), ...(this.flags['exclude-logs'] ? ['--exclude-logs'] : [])],
      kasmctl: process.argv[1],
      path: [dirname(process.execPath), ...(process.env.PATH ?? '').split(':').filter((dir) => dir && dir !== dirname(process.execPath))].join(':'),
      schedule,
    })
    if (!this.flags.install) return this.emit({changed: false, installed: false, line, schedule}, (r) => r.line)
    const {changed} = await installCronLine(line, context.name)
    return this.emit({changed, installed: true, line, schedule}, (r) => `${r.changed ? 'installed' : 'already installed, unchanged'}: ${r.line}`)
  }
}
