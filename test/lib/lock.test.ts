import {expect} from 'chai'
import {execFileSync, spawn, spawnSync} from 'node:child_process'
import {mkdtemp, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'

import {ExitCode, LockedError, type OperationError} from '../../src/lib/errors.js'
import {acquireLock, readHolder, refuseIfHeld} from '../../src/lib/lock.js'
import {groupMembers, procStat} from '../../src/lib/process/proc.js'
import {waitFor} from '../commands/backup/support.js'
import {running, startHolder} from './process/support.js'

describe('lib/lock', () => {
  let dir: string
  let path: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-lock-'))
    path = join(dir, 'test.lock')
  })

  afterEach(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  it('writes the holder (pid, start time, purpose) as JSON in a 0600 file and removes it on release', async () => {
    const lock = await acquireLock(path, {purpose: 'backup create'})
    const holder = JSON.parse(await readFile(path, 'utf8'))
    expect(holder).to.include({hostname: hostname(), pid: process.pid, purpose: 'backup create'})
    expect(holder.processStart).to.be.a('number')
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    await lock.release()
    await lock.release() // twice is harmless
    expect(await readHolder(path)).to.equal(undefined)
  })

  it('refuses a second holder at once with LockedError (exit 75) naming the live pid', async () => {
    const lock = await acquireLock(path, {purpose: 'backup create'})
    try {
      const error = await acquireLock(path, {purpose: 'backup prune'}).catch((error_: unknown) => error_)
      expect(error).to.be.instanceOf(LockedError)
      expect((error as LockedError).exitCode).to.equal(ExitCode.LOCKED)
      expect((error as LockedError).message).to.contain(`process ${process.pid} (backup create`)
    } finally {
      await lock.release()
    }
  })

  it('takes over a lock whose holder process is dead, with a warning', async () => {
    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    await writeFile(path, JSON.stringify({hostname: hostname(), pid: dead, purpose: 'backup create', startedAt: '2025-01-01T02:00:00.000Z'}))
    const warnings: string[] = []
    const lock = await acquireLock(path, {onWarning: (w) => warnings.push(w), purpose: 'backup create'})
    expect(warnings).to.have.length(1)
    expect(warnings[0]).to.contain(`left by process ${dead}`).and.contain('no longer running')
    expect((await readHolder(path))?.pid).to.equal(process.pid)
    await lock.release()
  })

  it('takes over from a holder that has exited but is not yet reaped (a zombie holds nothing)', async () => {
    // sh forks a short sleep, then becomes a long sleep that never reaps it: the short one stays a zombie.
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $!; exec sleep 30'], {stdio: ['ignore', 'pipe', 'ignore']})
    try {
      const zombie = await new Promise<number>((resolve) => parent.stdout!.once('data', (chunk: Buffer) => resolve(Number(chunk.toString()))))
      await waitFor('the short sleep to be a zombie', () => procStat(zombie)?.state === 'Z')
      await writeFile(path, JSON.stringify({hostname: hostname(), pid: zombie, processStart: procStat(zombie)!.start, purpose: 'backup create', startedAt: '2025-01-01T02:00:00.000Z'}))
      const warnings: string[] = []
      const lock = await acquireLock(path, {onWarning: (w) => warnings.push(w), purpose: 'backup create'})
      expect(warnings[0]).to.contain(`left by process ${zombie}`).and.contain('no longer running')
      await lock.release()
    } finally {
      parent.kill('SIGKILL')
    }
  })

  it('before taking over from a dead holder, stops what it left running (the children it recorded and what they forked)', async function () {
    this.timeout(60_000)
    // A real holder whose child (sh) forked two sleeps; kill -9 takes the holder and, by the
    // parent-death signal, sh: the sleeps are left in sh's process group, recorded in the lock file.
    const {child, holder} = await startHolder(path, 'wait', ['sh', '-c', 'sleep 300 & sleep 300'])
    await waitFor('both sleeps', () => groupMembers(child, undefined).filter((p) => p.name === 'sleep').length === 2)
    expect((await readHolder(path))?.children).to.deep.equal([{pid: child, start: groupMembers(child, undefined).find((p) => p.pid === child)?.start}])
    holder.kill('SIGKILL')
    await waitFor('the holder and sh to be gone', () => !running(holder.pid!) && !running(child))
    const sleeps = groupMembers(child, undefined).map((p) => p.pid)
    expect(sleeps).to.have.length(2)

    const warnings: string[] = []
    const lock = await acquireLock(path, {onWarning: (w) => warnings.push(w), purpose: 'backup create'})
    expect(sleeps.filter((pid) => running(pid))).to.deep.equal([])
    expect(warnings[0]).to.contain('no longer running')
    expect(warnings[1]).to.match(/^stopping sleep \(pid \d+\), sleep \(pid \d+\), left running by process \d+ \(test holder\)$/)
    await lock.release()
  })

  it('leaves no temporary file behind when the lock cannot be written (a full disk; the tests run as root)', async () => {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=4k', 'tmpfs', dir])
    try {
      await writeFile(join(dir, 'filler'), Buffer.alloc(4096)).catch(() => undefined)
      const error = await acquireLock(path, {purpose: 'backup create'}).catch((error_: unknown) => error_)
      expect((error as OperationError).message).to.contain(`cannot create the lock file ${path}: ENOSPC`)
      expect(await readdir(dir)).to.deep.equal(['filler'])
    } finally {
      execFileSync('umount', [dir])
    }
  })

  it('refuseIfHeld names a live holder (exit 75), and lets a dead one or no lock pass', async () => {
    await refuseIfHeld(path)
    const dead = spawnSync(process.execPath, ['-e', '']).pid!
    await writeFile(path, JSON.stringify({hostname: hostname(), pid: dead, purpose: 'backup create', startedAt: '2025-01-01T02:00:00.000Z'}))
    await refuseIfHeld(path)
    await rm(path)
    const lock = await acquireLock(path, {purpose: 'backup create'})
    try {
      const error = await refuseIfHeld(path).catch((error_: unknown) => error_)
      expect(error).to.be.instanceOf(LockedError)
      expect((error as LockedError).message).to.contain(`process ${process.pid} (backup create`)
    } finally {
      await lock.release()
    }
  })

  it('treats a recycled pid (same pid, other process start time) as dead', async () => {
    await writeFile(path, JSON.stringify({hostname: hostname(), pid: process.pid, processStart: 1, purpose: 'backup create', startedAt: '2025-01-01T02:00:00.000Z'}))
    const warnings: string[] = []
    const lock = await acquireLock(path, {onWarning: (w) => warnings.push(w), purpose: 'backup create'})
    expect(warnings[0]).to.contain('no longer running')
    await lock.release()
  })

  it('does not remove a lock that another run has taken over since', async () => {
    const lock = await acquireLock(path, {purpose: 'backup create'})
    const other = {hostname: hostname(), pid: 1, purpose: 'backup create', startedAt: new Date().toISOString()}
    await writeFile(path, JSON.stringify(other))
    await lock.release()
    expect(await readHolder(path)).to.deep.equal(other)
  })
})
