import {readFileIfExists, writeFileAtomic} from '../fs-util.js'

/** What one `backup create` run tells node_exporter's textfile collector (`--metrics-file`). */
export interface BackupRunMetrics {
  context: string
  ok: boolean
  /** When the run ended. */
  at: Date
  durationMs: number
  /** Size of the backup written (successful runs). */
  sizeBytes?: number
}

const PREFIX = 'kasmctl_backup'

/** The metric families, in the order written: name, help, and the value for a run (undefined: carried over from the last success). */
const FAMILIES: Array<{name: string; help: string; value: (run: BackupRunMetrics) => number | undefined}> = [
  {help: 'Whether the last backup run succeeded (1) or failed (0).', name: 'last_run_success', value: (run) => (run.ok ? 1 : 0)},
  {help: 'Unix time of the last backup run, successful or not.', name: 'last_run_timestamp_seconds', value: (run) => run.at.getTime() / 1000},
  {help: 'Unix time of the last successful backup.', name: 'last_success_timestamp_seconds', value: (run) => (run.ok ? run.at.getTime() / 1000 : undefined)},
  {help: 'Duration of the last successful backup in seconds.', name: 'last_success_duration_seconds', value: (run) => (run.ok ? run.durationMs / 1000 : undefined)},
  {help: 'Size of the last successful backup in bytes.', name: 'last_success_size_bytes', value: (run) => (run.ok ? run.sizeBytes : undefined)},
]

/** A label value escaped as the text format wants (backslash, quote, newline). */
const labelValue = (value: string): string => value.replaceAll('\\', '\\\\').replaceAll('"', String.raw`\"`).replaceAll('\n', String.raw`\n`)

/**
 * Writes node_exporter textfile metrics for a run, atomically (a temporary file renamed over it:
 * the collector never reads half a file; its name starts with a dot and does not end in .prom, so
 * the collector skips it). A failed run keeps the last success's time, duration and size from the
 * file it replaces, so an alert can fire on the age of the last success.
 */
export async function writeBackupMetrics(path: string, run: BackupRunMetrics): Promise<void> {
  const previous = (await readFileIfExists(path)) ?? ''
  const label = `{context="${labelValue(run.context)}"}`
  const lines: string[] = []
  for (const family of FAMILIES) {
    const name = `${PREFIX}_${family.name}`
    const value = family.value(run) ?? carried(previous, `${name}${label}`)
    if (value === undefined) continue
    lines.push(`# HELP ${name} ${family.help}`, `# TYPE ${name} gauge`, `${name}${label} ${value}`)
  }

  // Readable by node_exporter's user: it holds no secret.
  await writeFileAtomic(path, `${lines.join('\n')}\n`, 0o644)
}

/** The value of one sample line in a previous file of ours, if there. */
function carried(text: string, sample: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${sample} `))
  const value = line === undefined ? Number.NaN : Number(line.slice(sample.length + 1))
  return Number.isFinite(value) ? value : undefined
}
