import type {ResolvedContext} from '../config/resolve.js'
import {NotFoundError, UsageError} from '../errors.js'
import {listBackups} from './catalog.js'
import {backupDir} from './destination.js'
import {contextSlug} from './naming.js'

/** The newest complete backup of the context (for `--latest`); the context is only resolved when needed. */
export async function latestBackup(latest: boolean, dest: string | undefined, resolve: () => Promise<ResolvedContext>): Promise<string> {
  if (!latest) throw new UsageError('name a backup FILE, or pass --latest for the newest one')
  const {context} = await resolve()
  const dir = backupDir(dest, context)
  const newest = (await listBackups(dir, {context: contextSlug(context.name)})).find((entry) => entry.complete && !entry.damage)
  if (!newest) throw new NotFoundError(`no complete backup of context "${context.name}" in ${dir}`, {hint: 'run `kasmctl backup create` first (damaged backups do not count: see `kasmctl backup list`)'})
  return newest.path
}
