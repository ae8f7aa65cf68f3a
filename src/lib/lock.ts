import {randomBytes} from 'node:crypto'
import {readFileSync, renameSync, rmSync, writeFileSync} from 'node:fs'
import {link, readFile, rename, rm, writeFile} from 'node:fs/promises'
import {hostname} from 'node:os'
import {dirname} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {LockedError, OperationError} from './errors.js'
import {tempPathFor} from './fs-util.js'
import {type ChildRecord, liveChildren, watchChildren} from './process/children.js'
import {groupMembers, processStartTime, procStat, type ProcStat} from './process/proc.js'

/** What a lock file holds (JSON), so that the next run can name the holder and detect a dead one. */
export interface LockHolder {
  pid: number
  /** When the holder took the lock (ISO 8601). */
  startedAt: string
  /** The holder process's start time in clock ticks since boot (/proc/<pid>/stat), to detect a recycled pid. */
  processStart?: number
  hostname: string
  /** What the holder is doing, e.g. "backup create". */
  purpose: string
  /**
   * The holder's running child processes (each leads its own process group), kept up to date while
   * it holds the lock: whoever takes the lock over from a dead holder ends what it left running.
   */
  children?: ChildRecord[]
}

export interface Lock {
  readonly path: string
  readonly holder: LockHolder
  /** Removes the lock file if this process still holds it. Safe to call twice. */
  release(): Promise<void>
}

export interface AcquireLockOptions {
  purpose: string
  /** Called when a lock left by a dead process is taken over. */
  onWarning?: (message: string) => void
}

/**
 * Takes an exclusive pid lock file. The file is written in full under a temporary name and then
 * hard-linked into place, so it appears atomically and never half-written. If the file exists and
 * its holder is alive, LockedError (exit 75) names the pid; if the holder is dead (or the pid now
 * belongs to another process), the lock is taken over with a warning, once the processes the dead
 * holder left running are gone (stopped: their output is nobody's). The lock is also removed if
 * the process exits without releasing it (process.exit after an error). A failed write (a full
 * disk) leaves no temporary file behind.
 */
export async function acquireLock(path: string, options: AcquireLockOptions): Promise<Lock> {
  const holder: LockHolder = {
    hostname: hostname(),
    pid: process.pid,
    processStart: processStartTime(process.pid),
    purpose: options.purpose,
    startedAt: new Date().toISOString(),
  }
  const tmp = tempPathFor(path)
  try {
    await writeFile(tmp, `${JSON.stringify(holder)}\n`, {mode: 0o600})
  } catch (error) {
    await rm(tmp, {force: true})
    throw lockIoError(path, error)
  }

  try {
    for (let attempt = 0; ; attempt++) {
      try {
        await link(tmp, path)
        break
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw lockIoError(path, error)
      }

      const current = await readHolder(path)
      if (current && holderAlive(current)) throw lockedBy(path, current)
      if (attempt > 0) throw lockedBy(path, current)
      options.onWarning?.(
        current
          ? `taking over the lock ${path} left by process ${current.pid} (${current.purpose}, started ${current.startedAt}), which is no longer running`
          : `taking over the unreadable lock file ${path}`,
      )
      if (current) await endOrphans(current, options.onWarning)
      await removeStaleLock(path, current)
    }
  } finally {
    await rm(tmp, {force: true})
  }

  return new PidLock(path, holder)
}

/** LockedError (exit 75) naming the holder when a live process holds the lock; nothing otherwise. */
export async function refuseIfHeld(path: string): Promise<void> {
  const holder = await readHolder(path)
  if (holder && holderAlive(holder)) throw lockedBy(path, holder)
}

/** The current holder of a lock file, or undefined when there is none (or it is unreadable). */
export async function readHolder(path: string): Promise<LockHolder | undefined> {
  try {
    const parsed = JSON.parse(await readFile(path, 'utf8')) as LockHolder
    return typeof parsed.pid === 'number' ? parsed : undefined
  } catch {
    return undefined
  }
}

/** True when the holder's process still runs: same pid, same start time, same machine. */
export function holderAlive(holder: LockHolder): boolean {
  if (holder.hostname !== hostname()) return true // cannot check another machine's processes: assume alive
  try {
    process.kill(holder.pid, 0)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EPERM') return false
  }

  const stat = procStat(holder.pid)
  // A zombie has exited and only waits for its parent to reap it: it holds nothing any more.
  if (stat?.state === 'Z') return false
  return holder.processStart === undefined || stat === undefined || stat.start === holder.processStart
}

/**
 * Moves the stale lock aside and deletes it. If another run took the lock over between our read
 * and the move, what we moved is its fresh lock: put it back so that run keeps it.
 */
async function removeStaleLock(path: string, stale: LockHolder | undefined): Promise<void> {
  const aside = `${path}.${randomBytes(6).toString('hex')}.stale`
  try {
    await rename(path, aside)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return
    throw lockIoError(path, error)
  }

  const moved = await readHolder(aside)
  if (moved && stale && (moved.pid !== stale.pid || moved.startedAt !== stale.startedAt)) {
    await link(aside, path).catch(() => undefined)
  }

  await rm(aside, {force: true})
}

/** A dead holder's children that still run: each child's process group, members started after the child. */
function orphansOf(holder: LockHolder): ProcStat[] {
  if (holder.hostname !== hostname()) return []
  return (holder.children ?? []).flatMap((child) => groupMembers(child.pid, child.start))
}

const ORPHAN_GRACE_MS = 5000

/** SIGTERM to what a dead holder left running, SIGKILL to what is still there after a grace period; returns once all are gone. */
async function endOrphans(holder: LockHolder, onWarning: AcquireLockOptions['onWarning']): Promise<void> {
  let orphans = orphansOf(holder)
  if (orphans.length === 0) return
  onWarning?.(`stopping ${orphans.map((p) => `${p.name} (pid ${p.pid})`).join(', ')}, left running by process ${holder.pid} (${holder.purpose})`)
  const signal = (name: NodeJS.Signals): void => {
    for (const orphan of orphans) {
      try {
        process.kill(orphan.pid, name)
      } catch {
        // gone meanwhile
      }
    }
  }

  signal('SIGTERM')
  for (let waited = 0; orphans.length > 0; waited += 100) {
    if (waited === ORPHAN_GRACE_MS) signal('SIGKILL')
    await sleep(100)
    orphans = orphansOf(holder)
  }
}

class PidLock implements Lock {
  private released = false
  private readonly unwatch: () => void
  private readonly onExit = (): void => {
    // Last resort on process.exit(): the file must not outlive its holder.
    if (this.released) return
    try {
      const current = JSON.parse(readFileSync(this.path, 'utf8')) as LockHolder
      if (current.pid === process.pid) rmSync(this.path, {force: true})
    } catch {
      // already gone
    }
  }

  constructor(
    readonly path: string,
    readonly holder: LockHolder,
  ) {
    process.once('exit', this.onExit)
    this.unwatch = watchChildren((children) => this.recordChildren(children))
    const children = liveChildren()
    if (children.length > 0) this.recordChildren(children)
  }

  /**
   * Rewrites the lock file with the current children (a temporary file renamed over it: it is never
   * seen half-written). Best effort: where it cannot be written (a full disk), the children still die
   * with this process through their parent-death signal.
   */
  private recordChildren(children: ChildRecord[]): void {
    if (this.released) return
    const tmp = tempPathFor(this.path)
    try {
      writeFileSync(tmp, `${JSON.stringify({...this.holder, children})}\n`, {mode: 0o600})
      renameSync(tmp, this.path)
    } catch {
      rmSync(tmp, {force: true})
    }
  }

  async release(): Promise<void> {
    if (this.released) return
    this.released = true
    this.unwatch()
    process.removeListener('exit', this.onExit)
    const current = await readHolder(this.path)
    if (current?.pid === process.pid && current.startedAt === this.holder.startedAt) await rm(this.path, {force: true})
  }
}

function lockedBy(path: string, holder: LockHolder | undefined): LockedError {
  const who = holder ? `process ${holder.pid} (${holder.purpose}, started ${holder.startedAt}${holder.hostname === hostname() ? '' : ` on ${holder.hostname}`})` : 'another process'
  return new LockedError(`${path} is locked by ${who}`, {
    details: {lockFile: path, ...(holder ? {pid: holder.pid, startedAt: holder.startedAt} : {})},
    hint: holder
      ? `wait for it to finish; if process ${holder.pid} is not a kasmctl run, remove ${path}`
      : `wait for the other run to finish, or remove ${path} if no kasmctl run is active`,
  })
}

function lockIoError(path: string, error: unknown): OperationError {
  const code = (error as NodeJS.ErrnoException).code ?? (error as Error).message
  return new OperationError(`cannot create the lock file ${path}: ${code}`, {cause: error, hint: `check that ${dirname(path)} exists and is writable`})
}
