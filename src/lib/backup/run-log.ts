import {appendFile, mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'

import {formatDuration} from '../duration.js'
import {writeBackupMetrics} from './metrics.js'

/**
 * Appends one line per run to --log-file (mode 0600), for cron: `<ISO time> <command> key=value ...`.
 * Values with spaces are quoted. Never holds secrets: callers pass file names, sizes and messages.
 */
export async function appendRunLog(path: string, command: string, fields: Record<string, number | string | undefined>): Promise<void> {
  const parts = Object.entries(fields)
    .filter(([, value]) => value !== undefined)
    .map(([key, value]) => `${key}=${/[\s"=]/.test(String(value)) ? JSON.stringify(String(value)) : String(value)}`)
  await mkdir(dirname(path), {recursive: true})
  await appendFile(path, `${new Date().toISOString()} ${command} ${parts.join(' ')}\n`, {mode: 0o600})
}

/** Where a `backup create` run reports itself besides its output (--log-file, --metrics-file). */
export interface RunReports {
  logFile?: string
  metricsFile?: string
}

/** The outcome of a `backup create` run, as its reports record it. */
export type RunOutcome =
  | {ok: true; context: string; durationMs: number; file: string; removed: number; sizeBytes: number}
  | {ok: false; context: string; durationMs: number; exit: number; error: string}

/** Writes the run's log line and metrics (each only when asked). */
export async function reportRun(reports: RunReports, outcome: RunOutcome): Promise<void> {
  if (reports.logFile) {
    const fields = outcome.ok
      ? {status: 'ok', context: outcome.context, duration: formatDuration(outcome.durationMs), file: outcome.file, removed: outcome.removed, size: outcome.sizeBytes}
      : {status: 'failed', exit: outcome.exit, error: outcome.error}
    await appendRunLog(reports.logFile, 'backup create', fields)
  }

  if (reports.metricsFile) {
    await writeBackupMetrics(reports.metricsFile, {
      at: new Date(), context: outcome.context, durationMs: outcome.durationMs, ok: outcome.ok, sizeBytes: outcome.ok ? outcome.sizeBytes : undefined,
    })
  }
}
