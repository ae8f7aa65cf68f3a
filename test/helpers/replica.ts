/**
 * A real streaming replica of the sandbox's PostgreSQL, for tests of replication checks:
 * `pg_basebackup -R` into a temp dir, started on a free port with the sandbox's own binaries (as the
 * `postgres` user when running as root, as the sandbox does). `stop()` stops it and removes its files.
 */
import {execFile} from 'node:child_process'
import {readFileSync} from 'node:fs'
import {appendFile, chown, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {promisify} from 'node:util'

import {freePorts} from '../../src/lib/net.js'
import type {SandboxState} from '../../src/lib/sandbox/contract.js'
import {connectSuperuser} from '../../src/lib/sandbox/postgres.js'

const run = promisify(execFile)

export interface Replica {
  port: number
  stop(): Promise<void>
}

/** The postgres system user's uid/gid when running as root (PostgreSQL refuses root). */
function postgresUser(): undefined | {gid: number; uid: number} {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.startsWith('postgres:'))!
  const [, , uid, gid] = line.split(':')
  return {gid: Number(gid), uid: Number(uid)}
}

export async function startReplica(state: SandboxState): Promise<Replica> {
  const user = postgresUser()
  // Root's temp dir may not be reachable by the postgres user.
  const root = await mkdtemp(join(user ? '/var/tmp' : tmpdir(), 'kasmctl-replica-'))
  if (user) await chown(root, user.uid, user.gid)
  const dataDir = join(root, 'data')
  const [port] = await freePorts(1)
  const tool = (name: string, args: string[]) => run(join(state.postgres.binDir, name), args, {cwd: root, env: {LANG: 'C', PATH: process.env.PATH}, ...user})
  const stop = async () => {
    await tool('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']).catch(() => undefined)
    await rm(root, {force: true, recursive: true})
  }

  try {
    await tool('pg_basebackup', ['-h', '127.0.0.1', '-p', String(state.postgres.port), '-U', state.postgres.superuser, '-D', dataDir, '-R', '-X', 'stream', '--no-sync', '--checkpoint', 'fast'])
    // The copied postgresql.conf names the primary's port and socket directory: later lines win.
    await appendFile(join(dataDir, 'postgresql.conf'), `\nport = ${port}\nunix_socket_directories = '${root}'\n`)
    await tool('pg_ctl', ['start', '-D', dataDir, '-l', join(root, 'replica.log'), '-w', '-t', '30'])
    await waitForStreaming(state)
    return {port, stop}
  } catch (error) {
    await stop()
    throw error
  }
}

/** Until the primary lists the standby as streaming in pg_stat_replication. */
async function waitForStreaming(state: SandboxState): Promise<void> {
  const db = await connectSuperuser(state)
  try {
    for (let attempt = 0; attempt < 100; attempt++) {
      const {rows} = await db.query("SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'")
      if (rows.length > 0) return
      await sleep(100)
    }

    throw new Error('the replica did not start streaming within 10 s')
  } finally {
    await db.end()
  }
}
