import {Flags} from '@oclif/core'

import {BaseCommand} from '../../../base-command.js'
import {AGE_RANGE, dryRunFlag, durationFlag, fromHostFlag, integerFlag, yesFlag} from '../../../flags.js'
import {PURGE_TABLES} from '../../../lib/db/purge.js'
import {formatDuration} from '../../../lib/duration.js'
import {OperationError, UsageError, exitCodeHelp} from '../../../lib/errors.js'
import {confirmYesNo} from '../../../lib/output/prompt.js'
import type {PurgeDryRunJson, PurgeJson} from '../../../lib/db/purge-report.js'

export default class DbLogsPurge extends BaseCommand<typeof DbLogsPurge> {
  static exitCodes = exitCodeHelp([0, 1, 64, 69, 75, 77])
  static summary = 'Delete old log rows online, in short batches, without blocking Kasm'
  static description =
    'Deletes rows older than --older-than and DEBUG rows older than --debug-older-than (defaults: Kasm\'s log_retention and debug_retention settings, read through the API). Each batch is its own short transaction over an ingest_date range of the index (bounded by lock_timeout and statement_timeout, sized near 100 ms); rows locked by another transaction are skipped; one purge runs at a time per database. Two more connections, when the server grants them, measure the next batch and count the rows for the progress while a batch deletes. An interrupted purge keeps every committed batch: run it again to finish. DELETE frees no disk until VACUUM (`kasmctl db vacuum`). --table system_metrics trims Kasm 1.19\'s system_metrics table the same way (rows older than --older-than, which it requires: no Kasm setting governs it).'

  static examples = [
    '<%= config.bin %> db logs purge --dry-run',
    '<%= config.bin %> db logs purge --older-than 7d --debug-older-than 4h --yes',
    '<%= config.bin %> db logs purge --max-rate 20000 --yes --json',
    '<%= config.bin %> db logs purge --from-host webapp-1 --yes',
    '<%= config.bin %> db logs purge --table system_metrics --older-than 30d --yes',
  ]

  static mutates = true
  static flags = {
    'batch-size': integerFlag({description: 'aim for about this many rows per batch (default: adapts to keep each batch near 100 ms)', max: 10_000_000, min: 1}),
    'debug-older-than': durationFlag({description: "delete DEBUG rows older than this, e.g. 4h (default: Kasm's debug_retention hours)", range: AGE_RANGE}),
    'dry-run': dryRunFlag,
    'from-host': fromHostFlag,
    'max-rate': integerFlag({description: 'delete at most this many rows per second', helpValue: 'ROWS/S', max: 10_000_000, min: 1}),
    table: Flags.option({default: 'logs' as const, description: "table to trim: Kasm's logs, or Kasm 1.19's system_metrics", options: PURGE_TABLES})(),
    'older-than': durationFlag({description: "delete rows of every level older than this, e.g. 7d (default: Kasm's log_retention days)", range: AGE_RANGE}),
    yes: yesFlag,
  }

  async run(): Promise<PurgeDryRunJson | PurgeJson> {
    const {flags} = this
    const [{context}, {withDatabase, connectedTo, connectAgain}, purge, report, {purgeAges, getRetention}] = await Promise.all([
      this.resolvedContext(),
      import('../../../lib/db/connect.js'),
      import('../../../lib/db/purge.js'),
      import('../../../lib/db/purge-report.js'),
      import('../../../lib/db/retention.js'),
    ])
    const {table} = flags
    if (table !== 'logs' && flags['older-than'] === undefined) throw new UsageError(`--table ${table} needs --older-than: no Kasm retention setting covers it`, {hint: `e.g. kasmctl db logs purge --table ${table} --older-than 30d --dry-run`})
    if (table !== 'logs' && flags['debug-older-than'] !== undefined) throw new UsageError(`--debug-older-than applies to logs only: ${table} has no DEBUG rows`)
    const ages =
      table === 'logs'
        ? await purgeAges({debugOlderThanMs: flags['debug-older-than'], olderThanMs: flags['older-than']}, async () => getRetention(await this.kasm()))
        : {debugOlderThanMs: flags['older-than']!, olderThanMs: flags['older-than']!, source: 'flags' as const}

    return withDatabase(context, flags['from-host'], async (db) => {
      const purgeTable = await purge.resolvePurgeTable(db, table)
      const cutoffs = await purge.resolveCutoffs(db, ages.olderThanMs, ages.debugOlderThanMs)
      const described = report.cutoffsJson(cutoffs, ages.source, formatDuration)
      const {database, host, port} = connectedTo(db)
      const target = {database, host, port}
      if (flags['dry-run']) {
        return this.emit(report.dryRunJson(target, described, await purge.countPurge(db, cutoffs, purgeTable), table), report.renderDryRun)
      }

      const question = `Delete ${report.describeCutoffs(described, table)} from ${database} on ${host}:${port}?`
      if (!(await confirmYesNo(question, {interactive: this.term.interactive, yes: flags.yes}))) {
        throw new OperationError('purge cancelled: nothing was deleted', {code: 'CANCELLED'})
      }

      const [{withInterrupt}, {withProgress}, {purgeProgressLine}] = await Promise.all([
        import('../../../lib/interrupt.js'),
        import('../../../lib/output/progress.js'),
        import('../../../lib/db/purge-report.js'),
      ])
      // Two more connections let the purge measure its next batch and count while it deletes; it does without when none can be had.
      const [reader, counter] = await Promise.all([connectAgain(db).catch(() => undefined), connectAgain(db).catch(() => undefined)])
      try {
        const tty = this.term.stdoutIsTTY && !this.jsonEnabled()
        // Without a terminal a progress line comes every 10 s: counting from 2 s on has the share ready for the first
        // one, and a purge over by then makes the database count nothing.
        const countAfterMs = tty ? 0 : 2000
        const result = await withInterrupt((signal) =>
          withProgress({title: `Purging ${table}`, tty}, (progress) =>
            purge.purgeLogs(db, cutoffs, {batchSize: flags['batch-size'], countAfterMs, counter, maxRate: flags['max-rate'], onProgress: (p) => progress(purgeProgressLine(p)), reader, signal, table: purgeTable}),
          ),
        )
        return this.emit<PurgeJson>({dryRun: false, table, target, cutoffs: described, ...result}, report.renderPurge)
      } finally {
        await Promise.all([reader?.end().catch(() => undefined), counter?.end().catch(() => undefined)])
      }
    })
  }
}
