import {checkDestination, lockBackupDir} from './destination.js'
import {contextSlug} from './naming.js'
import {applyRetention, type RetentionPlan, type RetentionPolicy} from './retention.js'

/** `backup prune`: retention on demand, under the directory's lock (never while a backup is being written). */
export async function pruneBackups(
  dir: string,
  context: string,
  policy: RetentionPolicy,
  options: {dryRun: boolean; checksums?: boolean; onWarning: (message: string) => void},
): Promise<RetentionPlan> {
  await checkDestination(dir)
  const lock = options.dryRun ? undefined : await lockBackupDir(dir, 'backup prune', options.onWarning)
  try {
    return await applyRetention(dir, contextSlug(context), policy, options)
  } finally {
    await lock?.release()
  }
}
