import {OperationError} from '../errors.js'
import {type Lock, refuseIfHeld} from '../lock.js'
import {checkDestination, lockBackupDir, lockPath} from './destination.js'
import {contextSlug} from './naming.js'
import {applyRetention, type RetentionPlan, type RetentionPolicy} from './retention.js'

/** `backup prune`: retention on demand, under the directory's lock (never while a backup is being written). */
export async function pruneBackups(
  dir: string,
  context: string,
  policy: RetentionPolicy,
  options: {dryRun: boolean; onWarning: (message: string) => void},
): Promise<RetentionPlan> {
  await checkDestination(dir)
  const lock = options.dryRun ? undefined : await lockUnlessFull(dir, options.onWarning)
  try {
    return await applyRetention(dir, contextSlug(context), policy, options.dryRun)
  } finally {
    await lock?.release()
  }
}

/**
 * The directory's lock, or, when the file system is too full to write even the lock file, none:
 * pruning is how space is freed, and no backup can start without writing its own lock either.
 * A live holder (a backup that filled the disk) is still refused.
 */
async function lockUnlessFull(dir: string, onWarning: (message: string) => void): Promise<Lock | undefined> {
  try {
    return await lockBackupDir(dir, 'backup prune', onWarning)
  } catch (error) {
    if (!(error instanceof OperationError) || error.code !== 'DEST_FULL') throw error
    await refuseIfHeld(lockPath(dir))
    onWarning(`no space left in ${dir} for the lock file: pruning without it (no backup can start while the disk is full)`)
    return undefined
  }
}
