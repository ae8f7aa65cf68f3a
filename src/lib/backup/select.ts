import type {ResolvedContext} from '../config/resolve.js'
import {NotFoundError, UsageError} from '../errors.js'
import {listBackups} from './catalog.js'
import {backupDir} from './destination.js'
import {contextSlug} from './naming.js'

/**
 * The backup a command works on: the FILE it names, or with `--latest` the newest complete backup
 * of the context (resolved only then). Both, or neither, is a usage error: a restore must never
 * guess which one was meant.
 */
export async function backupToUse(file: string | undefined, latest: boolean, dest: string | undefined, resolve: () => Promise<ResolvedContext>): Promise<string> {
  if (file && latest) throw new UsageError(`name a backup FILE or pass --latest, not both (got ${file} and --latest)`)
  if (file) return file
  if (!latest) throw new UsageError('name a backup FILE, or pass --latest for the newest one')
  const {context} = await resolve()
  const dir = backupDir(dest, context)
  const newest = (await listBackups(dir, {context: contextSlug(context.name)})).find((entry) => entry.complete && !entry.damage)
  if (!newest) throw new NotFoundError(`no complete backup of context "${context.name}" in ${dir}`, {hint: 'run `kasmctl backup create` first (damaged backups do not count: see `kasmctl backup list`)'})
  return newest.path
}
