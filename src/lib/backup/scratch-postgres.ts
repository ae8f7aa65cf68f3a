import {readFileSync} from 'node:fs'
import {chown, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {hostname, tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'

import {OperationError, UnavailableError} from '../errors.js'
import {holderAlive, type LockHolder} from '../lock.js'
import {type Child, failureOf, runChild, startChild} from '../process/children.js'
import {processArgv, processStartTime, procStat} from '../process/proc.js'
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
const SCRATCH_PREFIX = 'kasmctl-scratch-'
/** In each scratch dir: the kasmctl run that owns it, as a lock file names its holder. */
const OWNER_FILE = 'owner.json'

/**
 * initdb, then the server itself as kasmctl's child (not through pg_ctl, whose server leaves its
 * process group and would outlive a killed kasmctl), durability off: it lives for one restore test.
 * As root, it runs as the postgres user.
 */
export async function startScratchCluster(options: {onWarning?: (message: string) => void; tmp?: string} = {}): Promise<ScratchCluster> {
  const binDir = findPgBinDir()
  const tmp = options.tmp ?? tmpdir()
  for (const removed of await sweepAbandonedScratch(tmp)) {
    options.onWarning?.(`removed ${removed.dir}, the scratch PostgreSQL of a restore test whose kasmctl (pid ${removed.owner}) was killed`)
  }

  const root = await mkdtemp(join(tmp, SCRATCH_PREFIX))
  const owner: LockHolder = {hostname: hostname(), pid: process.pid, processStart: processStartTime(process.pid), purpose: 'backup verify --restore-test', startedAt: new Date().toISOString()}
  await writeFile(join(root, OWNER_FILE), JSON.stringify(owner), {mode: 0o600})
  const runAs = postgresSystemUser()
  if (runAs) await chown(root, runAs.uid, runAs.gid)
  const dataDir = join(root, 'data')
  const env = {LANG: 'C', LC_ALL: 'C', PATH: process.env.PATH}
  let server: Child | undefined
  const destroy = async (): Promise<void> => {
    server?.stop('SIGQUIT') // immediate shutdown: nothing in it is worth keeping
    await server?.exited
    await rm(root, {force: true, recursive: true})
  }

  try {
    const initdb = await runChild('initdb', join(binDir, 'initdb'), ['-D', dataDir, '-U', SCRATCH_USER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync'], {cwd: root, env, user: runAs})
    const failed = failureOf({name: 'initdb', stderrTail: () => initdb.stderr}, initdb.exit)
    if (failed) throw new OperationError(`the scratch PostgreSQL (initdb) failed: ${initdb.stderr.trim() || failed}`)
    const settings = ['-p', String(SCRATCH_PORT), '-k', root, '-c', "listen_addresses=", '-c', 'fsync=off', '-c', 'full_page_writes=off', '-c', 'synchronous_commit=off']
    server = startChild('postgres', join(binDir, 'postgres'), ['-D', dataDir, ...settings], {cwd: root, env, stdio: ['ignore', 'ignore', 'pipe'], user: runAs})
    await waitUntilReady(server, binDir, root)
  } catch (error) {
    await destroy()
    throw error
  }

  return {destroy, port: SCRATCH_PORT, socketDir: root, user: SCRATCH_USER}
}

/**
 * A restore test killed with SIGKILL cannot delete its scratch cluster: a whole restored copy of the
 * database stays in the temp dir. Each new one first removes those whose owner no longer runs,
 * after stopping their server should it still run (without setpriv no death signal reached it).
 * A dir it cannot stop or delete is left for the next run. Returns what it removed.
 */
export async function sweepAbandonedScratch(tmp: string): Promise<Array<{dir: string; owner: number}>> {
  const removed: Array<{dir: string; owner: number}> = []
  const names = await readdir(tmp).catch(() => [])
  for (const name of names.filter((entry) => entry.startsWith(SCRATCH_PREFIX))) {
    const dir = join(tmp, name)
    const owner = await readFile(join(dir, OWNER_FILE), 'utf8').then((text) => JSON.parse(text) as LockHolder, () => undefined)
    // No owner file: not ours to judge (being created this instant, or made by an older kasmctl).
    if (!owner || typeof owner.pid !== 'number' || holderAlive(owner)) continue
    if (!(await stopLeftServer(dir))) continue
    await rm(dir, {force: true, recursive: true}).then(
      () => removed.push({dir, owner: owner.pid}),
      () => undefined,
    )
  }

  return removed
}

/** Stops the server left running in that scratch dir, if any (immediate shutdown). False if it would not stop. */
async function stopLeftServer(dir: string): Promise<boolean> {
  const dataDir = join(dir, 'data')
  const pid = Number((await readFile(join(dataDir, 'postmaster.pid'), 'utf8').catch(() => '')).split('\n')[0])
  // Only the server started on this very data dir: the pid file outlives a server that died, and its
  // pid may now be another PostgreSQL's (Kasm's own, on a database host), which must never get a signal.
  const running = (): boolean => {
    const argv = processArgv(pid) ?? []
    const at = argv.indexOf('-D')
    return at >= 0 && argv[at + 1] === dataDir && procStat(pid)?.state !== 'Z'
  }

  if (!Number.isInteger(pid) || pid <= 0 || !running()) return true
  try {
    process.kill(pid, 'SIGQUIT')
  } catch {
    return !running()
  }

  for (let waited = 0; waited < 5000 && running(); waited += 100) await sleep(100)
  return !running()
}

/** Polls pg_isready on the socket until the server accepts connections; fails at once if it exits. */
async function waitUntilReady(server: Child, binDir: string, socketDir: string): Promise<void> {
  let exited = false
  void server.exited.then(() => (exited = true))
  for (let waited = 0; waited < 60_000; waited += 100) {
    if (exited) throw new OperationError(`the scratch PostgreSQL failed to start: ${failureOf(server, await server.exited) ?? server.stderrTail()}`)
    const ready = await runChild('pg_isready', join(binDir, 'pg_isready'), ['-q', '-h', socketDir, '-p', String(SCRATCH_PORT)])
    if (ready.exit.code === 0) return
    await sleep(100)
  }

  throw new OperationError('the scratch PostgreSQL did not accept connections within 60 s')
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
