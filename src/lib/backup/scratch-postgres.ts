import {readFileSync} from 'node:fs'
import {chown, mkdtemp, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {OperationError, UnavailableError} from '../errors.js'
import {failureOf, runChild} from '../process/children.js'
import {findPgBinDir} from '../sandbox/postgres.js'

/** A throwaway PostgreSQL cluster reachable only over a unix socket in its own temp dir (no TCP port to collide). */
export interface ScratchCluster {
  /** The socket directory: PGHOST for client tools, `host` for pg. */
  socketDir: string
  port: number
  user: string
  /** Stops the server and deletes every file. */
  destroy(): Promise<void>
}

const SCRATCH_PORT = 5432
const SCRATCH_USER = 'postgres'

/** initdb + pg_ctl start with durability off (it lives for one restore test). As root, it runs as the postgres user. */
export async function startScratchCluster(): Promise<ScratchCluster> {
  const binDir = findPgBinDir()
  const root = await mkdtemp(join(tmpdir(), 'kasmctl-scratch-'))
  const runAs = postgresSystemUser()
  if (runAs) await chown(root, runAs.uid, runAs.gid)
  const dataDir = join(root, 'data')
  const run = async (tool: string, args: string[]): Promise<void> => {
    const {exit, stderr} = await runChild(tool, join(binDir, tool), args, {cwd: root, env: {LANG: 'C', LC_ALL: 'C', PATH: process.env.PATH}, user: runAs})
    const failure = failureOf({name: tool, stderrTail: () => ''}, exit)
    if (failure) throw new OperationError(`the scratch PostgreSQL (${tool}) failed: ${stderr.trim() || failure}`)
  }

  const destroy = async (): Promise<void> => {
    await run('pg_ctl', ['stop', '-D', dataDir, '-m', 'immediate', '-w']).catch(() => undefined)
    await rm(root, {force: true, recursive: true})
  }

  try {
    await run('initdb', ['-D', dataDir, '-U', SCRATCH_USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'])
    const settings = `-p ${SCRATCH_PORT} -k ${root} -c listen_addresses='' -c fsync=off -c full_page_writes=off -c synchronous_commit=off`
    await run('pg_ctl', ['start', '-D', dataDir, '-o', settings, '-l', join(root, 'postgres.log'), '-w', '-t', '60'])
  } catch (error) {
    await destroy()
    throw error
  }

  return {destroy, port: SCRATCH_PORT, socketDir: root, user: SCRATCH_USER}
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` system user (installed with the server). */
function postgresSystemUser(): {uid: number; gid: number} | undefined {
  if (process.getuid?.() !== 0) return undefined
  const entry = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .map((line) => line.split(':'))
    .find((fields) => fields[0] === SCRATCH_USER)
  if (!entry) {
    throw new UnavailableError('a restore test as root runs PostgreSQL as the `postgres` system user, and there is none', {
      hint: 'install the PostgreSQL server (apt-get install postgresql), or pass --target-url to restore into a scratch database on a server',
    })
  }

  return {gid: Number(entry[3]), uid: Number(entry[2])}
}
