import {appendFile, mkdir} from 'node:fs/promises'
import {dirname} from 'node:path'

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
