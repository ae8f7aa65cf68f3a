import {expect} from 'chai'
import {chmod, mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {findExecutable, runChild} from '../../../src/lib/process/children.js'
import {groupMembers} from '../../../src/lib/process/proc.js'
import {waitFor} from '../../commands/backup/support.js'
import {running, startHolder} from './support.js'

describe('lib/process/children', function () {
  this.timeout(60_000)
  let dir: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-children-'))
  })

  afterEach(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  it('runChild returns the output and exit, stops a command that outlives its timeout, and reports a missing program', async () => {
    const echoed = await runChild('sh', 'sh', ['-c', 'echo out; echo err >&2; exit 3'])
    expect(echoed).to.deep.equal({exit: {code: 3, signal: null}, stderr: 'err\n', stdout: 'out\n', timedOut: false})
    const hung = await runChild('sleep', 'sleep', ['30'], {timeoutMs: 50})
    expect(hung).to.include({timedOut: true})
    expect(hung.exit).to.deep.equal({code: null, signal: 'SIGTERM'})
    const missing = await runChild('nope', 'kasmctl-no-such-tool', [])
    expect((missing.exit.error as NodeJS.ErrnoException).code).to.equal('ENOENT')
  })

  it('a stop reaches the whole process group: what the child forked stops with it', async () => {
    const pidFile = join(dir, 'grandchild.pid')
    const controller = new AbortController()
    const run = runChild('sh', 'sh', ['-c', `sleep 300 & echo $! > ${pidFile}; wait`], {signal: controller.signal})
    const grandchild = await waitFor('the grandchild', async () => Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || undefined)
    controller.abort()
    await run
    await waitFor('the grandchild to be gone', () => !running(grandchild))
  })

  it('children die with kasmctl: on exit, and on kill -9 (parent-death signal)', async () => {
    const exited = await startHolder('-', 'exit', ['sleep', '300'])
    await waitFor('the child of an exited holder to be gone', () => !running(exited.child))

    const killed = await startHolder('-', 'wait', ['sleep', '300'])
    expect(running(killed.child)).to.equal(true)
    killed.holder.kill('SIGKILL')
    await waitFor('the child of a kill -9 holder to be gone', () => !running(killed.child))
  })

  it('findExecutable passes over files without an execute bit and directories', async () => {
    const [a, b, c] = ['a', 'b', 'c'].map((name) => join(dir, name))
    for (const sub of [a, b, c]) await mkdir(sub)
    await writeFile(join(a, 'tool'), '#!/bin/sh\n', {mode: 0o644})
    await mkdir(join(b, 'tool'))
    await writeFile(join(c, 'tool'), '#!/bin/sh\n')
    await chmod(join(c, 'tool'), 0o755)
    expect(findExecutable('tool', {PATH: [a, b, c].join(':')})).to.equal(join(c, 'tool'))
    expect(findExecutable('tool', {PATH: [a, b].join(':')})).to.equal(undefined)
  })

  it('groupMembers finds what a dead leader forked, and nothing of a group that is gone', async () => {
    const {child, holder} = await startHolder('-', 'wait', ['sh', '-c', 'sleep 300 & sleep 300'])
    try {
      await waitFor('both sleeps', () => groupMembers(child, undefined).filter((p) => p.name === 'sleep').length === 2)
    } finally {
      holder.kill('SIGKILL')
    }

    // The kernel kills the direct child (sh); the sleeps it forked are left in its group.
    await waitFor('sh to be gone', () => !running(child))
    const left = groupMembers(child, undefined)
    expect(left.map((p) => p.name)).to.deep.equal(['sleep', 'sleep'])
    for (const p of left) process.kill(p.pid, 'SIGKILL')
    await waitFor('the group to be gone', () => groupMembers(child, undefined).length === 0)
  })
})
