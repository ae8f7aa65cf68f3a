import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {existsSync} from 'node:fs'
import {chmod, copyFile, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'

import {type ScratchCluster, startScratchCluster, sweepAbandonedScratch} from '../../../src/lib/backup/scratch-postgres.js'
import {procStat} from '../../../src/lib/process/proc.js'
import {deadPid} from '../process/support.js'

/** Makes a running scratch cluster look left behind: its owner file names a run that has exited. Returns that pid. */
async function orphan(cluster: ScratchCluster): Promise<number> {
  const owner = deadPid()
  await writeFile(join(cluster.socketDir, 'owner.json'), JSON.stringify({hostname: hostname(), pid: owner, purpose: 'backup verify --restore-test', startedAt: new Date().toISOString()}))
  return owner
}

describe('lib/backup/scratch-postgres: clusters a killed restore test left behind', () => {
  let tmp: string

  beforeEach(async () => {
    tmp = await mkdtemp(join(tmpdir(), 'kasmctl-scratch-test-'))
    await chmod(tmp, 0o755) // as root the server runs as postgres, which must reach its dir, as in /tmp
  })

  afterEach(async () => {
    await rm(tmp, {force: true, recursive: true})
  })

  it('each scratch dir names its owner, this run', async () => {
    const cluster = await startScratchCluster({tmp})
    try {
      const owner = JSON.parse(await readFile(join(cluster.socketDir, 'owner.json'), 'utf8'))
      expect(owner).to.include({hostname: hostname(), pid: process.pid, purpose: 'backup verify --restore-test'})
    } finally {
      await cluster.destroy()
    }
  })

  it('the next restore test stops a server still running in an abandoned dir, deletes the dir and says so', async () => {
    const left = await startScratchCluster({tmp})
    const owner = await orphan(left)
    const serverPid = Number((await readFile(join(left.socketDir, 'data', 'postmaster.pid'), 'utf8')).split('\n')[0])
    expect(procStat(serverPid)?.name).to.equal('postgres')

    const warnings: string[] = []
    const next = await startScratchCluster({onWarning: (message) => warnings.push(message), tmp})
    try {
      expect(existsSync(left.socketDir)).to.equal(false)
      expect(procStat(serverPid)).to.equal(undefined)
      expect(warnings).to.deep.equal([`removed ${left.socketDir}, the scratch PostgreSQL of a restore test whose kasmctl (pid ${owner}) was killed`])
    } finally {
      await next.destroy()
      await left.destroy()
    }
  })

  it('never signals another PostgreSQL that a stale pid file names (a recycled pid): only the server of that data dir', async () => {
    // A process named postgres, serving another data dir, as Kasm's own database would on that host.
    const bin = join(tmp, 'bin')
    await mkdir(bin)
    await copyFile('/bin/sleep', join(bin, 'postgres'))
    const other = spawn(join(bin, 'postgres'), ['30'], {stdio: 'ignore'})
    try {
      const dead = join(tmp, 'kasmctl-scratch-stale')
      await mkdir(join(dead, 'data'), {recursive: true})
      await writeFile(join(dead, 'owner.json'), JSON.stringify({hostname: hostname(), pid: deadPid(), purpose: 'x', startedAt: ''}))
      await writeFile(join(dead, 'data', 'postmaster.pid'), `${other.pid}\n${join(dead, 'data')}\n`)
      expect(procStat(other.pid!)?.name).to.equal('postgres')

      expect((await sweepAbandonedScratch(tmp)).map((entry) => entry.dir)).to.deep.equal([dead])
      expect(procStat(other.pid!)?.state).to.not.equal(undefined)
      expect(other.exitCode).to.equal(null)
    } finally {
      other.kill('SIGKILL')
    }
  })

  it('leaves dirs whose owner still runs, and dirs with no owner file (not known to be ours)', async () => {
    const live = join(tmp, 'kasmctl-scratch-live')
    const unowned = join(tmp, 'kasmctl-scratch-unowned')
    const other = join(tmp, 'something-else')
    for (const dir of [live, unowned, other]) await mkdir(dir)
    await writeFile(join(live, 'owner.json'), JSON.stringify({hostname: hostname(), pid: process.pid, purpose: 'x', startedAt: ''}))
    const dead = join(tmp, 'kasmctl-scratch-dead')
    await mkdir(join(dead, 'data'), {recursive: true})
    await writeFile(join(dead, 'owner.json'), JSON.stringify({hostname: hostname(), pid: deadPid(), purpose: 'x', startedAt: ''}))

    const removed = await sweepAbandonedScratch(tmp)
    expect(removed.map((entry) => entry.dir)).to.deep.equal([dead])
    for (const dir of [live, unowned, other]) expect(existsSync(dir), dir).to.equal(true)
  })
})
