import {Errors, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import {backupDestFlag, backupRetentionFlags} from '../../flags.js'
import {formatDuration} from '../../lib/duration.js'
import type {BackupCreateJson} from '../../lib/backup/render.js'

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
  ]

  static flags = {
    dest: backupDestFlag,
    via: Flags.option({description: 'run pg_dump inside the kasm_db container or with the local client tools (default: docker when kasm_db runs here)', options: ['docker', 'local'] as const})(),
    format: Flags.option({default: 'tar' as const, description: 'pg_dump archive format', options: ['tar', 'custom'] as const})(),
    compress: Flags.option({description: 'compression (default: zstd when installed, else gzip)', options: ['zstd', 'gzip', 'none'] as const})(),
    'exclude-logs': Flags.boolean({description: "keep the logs table's definition but not its rows"}),
    ...backupRetentionFlags,
    quiet: Flags.boolean({char: 'q', description: 'print nothing on success; one line on stderr on failure'}),
    'log-file': Flags.string({description: 'append one line per run (success or failure) to this file'}),
  }

  async run(): Promise<BackupCreateJson> {
    const [{createBackup}, {backupDir}, {detectVia}, {defaultCompression}, {withInterrupt}, {retentionPolicy}, {appendRunLog}] = await Promise.all([
      import('../../lib/backup/create.js'),
      import('../../lib/backup/destination.js'),
      import('../../lib/backup/pg-tools.js'),
      import('../../lib/backup/processes.js'),
      import('../../lib/interrupt.js'),
      import('../../lib/backup/retention.js'),
      import('../../lib/backup/run-log.js'),
    ])
    const {context} = await this.resolvedContext()
    const {flags} = this
    const retention = retentionPolicy({keep: flags.keep, keepDays: flags['keep-days'], minKeep: flags['min-keep']}, context.backup)
    const progress = (line: string): void => {
      if (this.term.stdoutIsTTY && !flags.quiet && this.format === 'table') process.stderr.write(`${this.term.chalk.dim(line)}\n`)
    }

    const via = flags.via ?? (await detectVia())
    const result = await withInterrupt((signal) =>
      createBackup({
        compression: flags.compress ?? defaultCompression(),
        context,
        dir: backupDir(flags.dest, context),
        excludeLogs: flags['exclude-logs'],
        format: flags.format,
        kasmctlVersion: this.config.version,
        onEvent: (line, kind) => (kind === 'warning' ? this.warn(line) : progress(line)),
        retention,
        signal,
        via,
      }),
    )
    const {manifest} = result
    if (flags['log-file']) {
      const fields = {context: context.name, duration: formatDuration(manifest.durationMs), file: result.path, removed: result.removed.length, size: manifest.sizeBytes}
      await appendRunLog(flags['log-file'], 'backup create', {status: 'ok', ...fields})
    }

    const {createJson, renderCreated} = await import('../../lib/backup/render.js')
    const json = createJson(result)
    if (flags.quiet && this.format === 'table') return json
    return this.emit(json, renderCreated)
  }

  /** Cron: with --quiet a failure is exactly one line on stderr; --log-file records it too. */
  async catch(error: Error & {exitCode?: number}): Promise<void> {
    if (error instanceof Errors.ExitError) throw error
    const hint = (error as {hint?: string}).hint
    if (this.flags?.['log-file']) {
      const {appendRunLog} = await import('../../lib/backup/run-log.js')
      await appendRunLog(this.flags['log-file'], 'backup create', {status: 'failed', exit: this.exitCodeFor(error), error: error.message}).catch(() => undefined)
    }

    if (!this.flags?.quiet || this.jsonEnabled()) return super.catch(error)
    process.stderr.write(`kasmctl backup create: ${error.message}${hint ? ` (${hint})` : ''}\n`)
    process.exitCode = this.exitCodeFor(error)
    throw Object.assign(new Errors.ExitError(process.exitCode), {skipOclifErrorHandling: true})
  }
}
