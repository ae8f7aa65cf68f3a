import {Errors, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import {backupDestFlag, backupKeepAgeMs, backupRetentionFlags, backupVerifyFlag, dryRunFlag, yesFlag} from '../../flags.js'
import type {BackupCreateJson, BackupPlanJson} from '../../lib/backup/render.js'

export default class BackupCreate extends BaseCommand<typeof BackupCreate> {
  static exitCodes = exitCodeHelp([0, 1, 64, 69, 75, 77])
  static summary = 'Back up the Kasm database online (pg_dump), with lock, checksum, manifest and retention'
  static description =
    'Streams pg_dump (tar format by default, which Kasm\'s db_restore reads) through zstd into <dest>/kasm_db_<context>_<UTC time>.<ext>, ' +
    'with a .sha256 and a manifest beside it. Safe under cron: no prompts, a lock against overlapping runs (exit 75), ' +
    'nothing on stdout with --quiet, one line on stderr on failure.'

  static examples = [
    '<%= config.bin %> backup create --dest /var/backups/kasm',
    '<%= config.bin %> backup create --exclude-logs --keep 7 --min-keep 3 --quiet --log-file /var/log/kasmctl-backup.log',
    '<%= config.bin %> backup create --via docker --compress none   # a plain .tar for Kasm\'s db_restore',
    '<%= config.bin %> backup create --keep 7 --dry-run   # what would be dumped, where, and what retention would remove',
    '<%= config.bin %> backup create --metrics-file /var/lib/prometheus/node-exporter/kasmctl_backup.prom',
  ]

  static flags = {
    dest: backupDestFlag,
    via: Flags.option({description: 'run pg_dump inside the kasm_db container or with the local client tools (default: docker when kasm_db runs here)', options: ['docker', 'local'] as const})(),
    format: Flags.option({default: 'tar' as const, description: 'pg_dump archive format', options: ['tar', 'custom'] as const})(),
    compress: Flags.option({description: 'compression (default: zstd when installed, else gzip)', options: ['zstd', 'gzip', 'none'] as const})(),
    'exclude-logs': Flags.boolean({description: "keep the logs table's definition but not its rows"}),
    ...backupRetentionFlags,
    ...backupVerifyFlag,
    quiet: Flags.boolean({char: 'q', description: 'print nothing on success; one line on stderr on failure'}),
    'log-file': Flags.string({description: 'append one line per run (success or failure) to this file'}),
    'metrics-file': Flags.string({description: "write node_exporter textfile metrics (last success time, duration, size, status) to this file, atomically, after each run"}),
    'dry-run': dryRunFlag,
    yes: yesFlag,
  }

  static mutates = true

  /** Known once resolved: the failure report names it. */
  private contextName?: string
  private readonly startedAt = Date.now()

  async run(): Promise<BackupCreateJson | BackupPlanJson> {
    const [{createBackup, planBackup}, {backupDir}, {detectVia}, {defaultCompression}, {withInterrupt}, {retentionPolicy}, {reportRun}, {checkOutputFile}] = await Promise.all([
      import('../../lib/backup/create.js'),
      import('../../lib/backup/destination.js'),
      import('../../lib/backup/pg-tools.js'),
      import('../../lib/backup/processes.js'),
      import('../../lib/interrupt.js'),
      import('../../lib/backup/retention.js'),
      import('../../lib/backup/run-log.js'),
      import('../../lib/fs-util.js'),
    ])
    const {context} = await this.resolvedContext()
    this.contextName = context.name
    const {flags} = this
    const retention = retentionPolicy({keep: flags.keep, keepAgeMs: backupKeepAgeMs(flags), minKeep: flags['min-keep'], verify: flags.verify}, context.backup)
    // Checked before the dump: a backup is never written and then reported failed for its log or metrics.
    if (flags['log-file']) await checkOutputFile(flags['log-file'], '--log-file')
    if (flags['metrics-file']) await checkOutputFile(flags['metrics-file'], '--metrics-file')
    const progress = (line: string): void => {
      if (this.term.stdoutIsTTY && !flags.quiet && this.format === 'table') process.stderr.write(`${this.term.chalk.dim(line)}\n`)
    }

    const options = {
      compression: flags.compress ?? defaultCompression(), context, dir: backupDir(flags.dest, context), excludeLogs: Boolean(flags['exclude-logs']), format: flags.format,
      kasmctlVersion: this.config.version, onEvent: (line: string, kind: string) => (kind === 'warning' ? this.warn(line) : progress(line)), retention, via: flags.via ?? (await detectVia()),
    }
    const render = await import('../../lib/backup/render.js')
    if (flags['dry-run']) return this.emit(render.planJson(await planBackup(options), options), render.renderPlan)
    const result = await withInterrupt((signal) => createBackup({...options, signal}))
    const {manifest} = result
    const reports = {logFile: flags['log-file'], metricsFile: flags['metrics-file']}
    const outcome = {context: context.name, durationMs: manifest.durationMs, file: result.path, ok: true as const, removed: result.removed.length, sizeBytes: manifest.sizeBytes}
    // The backup is there: a report that cannot be written (checked before, but a disk can fill since) is a warning, not a failure.
    await reportRun(reports, outcome).catch((error: Error) => this.warn(`${result.path} was written, but its run report was not: ${error.message}`))
    const json = render.createJson(result)
    if (flags.quiet && this.format === 'table') return json
    return this.emit(json, render.renderCreated)
  }

  /** Cron: with --quiet a failure is exactly one line on stderr; --log-file records it too. */
  async catch(error: Error & {exitCode?: number}): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    const hint = (error as {hint?: string}).hint
    if (!this.flags?.['dry-run'] && (this.flags?.['log-file'] || this.flags?.['metrics-file'])) {
      const {reportRun} = await import('../../lib/backup/run-log.js')
      const outcome = {context: this.contextName ?? this.flags.context ?? '', durationMs: Date.now() - this.startedAt, error: error.message, exit: this.exitCodeFor(error), ok: false as const}
      await reportRun({logFile: this.flags['log-file'], metricsFile: this.flags['metrics-file']}, outcome).catch(() => undefined)
    }

    if (!this.flags?.quiet || this.jsonEnabled()) return super.catch(error)
    process.stderr.write(`kasmctl backup create: ${error.message}${hint ? ` (${hint})` : ''}\n`)
    process.exitCode = this.exitCodeFor(error)
    throw Object.assign(new Errors.ExitError(process.exitCode), {skipOclifErrorHandling: true})
  }
}
