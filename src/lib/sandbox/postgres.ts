import {execFile} from 'node:child_process'
import {createHash} from 'node:crypto'
import {existsSync, readFileSync, readdirSync} from 'node:fs'
import {chmod, chown, copyFile, mkdir, readFile, rm, writeFile} from 'node:fs/promises'
import {delimiter, dirname, join} from 'node:path'
import {promisify} from 'node:util'
import pg from 'pg'

import {OperationError, UnavailableError} from '../errors.js'
import type {SandboxState} from './contract.js'
import {processAlive} from './state.js'

const execFileAsync = promisify(execFile)

/** The superuser initdb creates; trusted on the unix socket and 127.0.0.1 (kasmapp needs its password + SSL). */
export const SUPERUSER = 'postgres'

/**
 * The directory holding PostgreSQL's binaries: `$KASMCTL_PG_BIN`, else the newest
 * `/usr/lib/postgresql/<version>/bin`, else the directory of `pg_ctl` on PATH.
 */
export function findPgBinDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.KASMCTL_PG_BIN) {
    if (!existsSync(join(env.KASMCTL_PG_BIN, 'pg_ctl'))) {
      throw new UnavailableError(`KASMCTL_PG_BIN=${env.KASMCTL_PG_BIN} holds no pg_ctl`, {hint: 'point it at a PostgreSQL bin directory'})
    }

    return env.KASMCTL_PG_BIN
  }

  const root = '/usr/lib/postgresql'
  const versions = existsSync(root)
    ? readdirSync(root)
        .filter((v) => existsSync(join(root, v, 'bin', 'initdb')))
        .sort((a, b) => Number.parseFloat(b) - Number.parseFloat(a))
    : []
  if (versions.length > 0) return join(root, versions[0], 'bin')

  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, 'pg_ctl')) && existsSync(join(dir, 'initdb'))) return dir
  }

  throw new UnavailableError('no PostgreSQL server binaries found (initdb, pg_ctl)', {
    hint: 'install them with `apt-get install postgresql`, or set KASMCTL_PG_BIN to their directory',
  })
}

interface RunAs {
  uid: number
  gid: number
}

/** PostgreSQL refuses to run as root: as root, run it as the `postgres` system user. */
function runAsUser(): RunAs | undefined {
  if (process.getuid?.() !== 0) return undefined
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith(`${SUPERUSER}:`))
  if (!line) {
    throw new UnavailableError('running as root, and there is no `postgres` system user to run PostgreSQL as', {
      hint: 'install PostgreSQL with `apt-get install postgresql` (it creates the user), or run kasmctl as a normal user',
    })
  }

  const [, , uid, gid] = line.split(':')
  return {gid: Number(gid), uid: Number(uid)}
}

/**
 * Where the cluster lives. As root, outside the sandbox dir (root's home is not reachable by the
 * postgres user): /var/tmp/kasmctl-pg-<hash of the sandbox dir>, owned by postgres.
 */
export function postgresLayout(dir: string): {root: string; dataDir: string; socketDir: string} {
  const root = process.getuid?.() === 0 ? join('/var/tmp', `kasmctl-pg-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`) : join(dir, 'postgres')
  // A unix socket path must stay under ~107 bytes: fall back to a short directory for long sandbox paths.
  const socketDir = root.length > 80 ? join('/tmp', `kasmctl-pg-${createHash('sha256').update(dir).digest('hex').slice(0, 12)}`) : join(root, 'run')
  return {dataDir: join(root, 'data'), root, socketDir}
}

async function pgRun(binDir: string, tool: string, args: string[], cwd: string): Promise<string> {
  const user = runAsUser()
  try {
    const {stdout} = await execFileAsync(join(binDir, tool), args, {
      cwd,
      env: {LANG: 'C', LC_ALL: 'C', PATH: process.env.PATH},
      ...(user ?? {}),
    })
    return stdout
  } catch (error) {
    const {stderr, stdout} = error as {stderr?: string; stdout?: string}
    throw new OperationError(`${tool} ${args[0] ?? ''} failed: ${(stderr || stdout || (error as Error).message).trim()}`)
  }
}

async function ownDir(path: string): Promise<void> {
  await mkdir(path, {mode: 0o700, recursive: true})
  await chmod(path, 0o700)
  const user = runAsUser()
  if (user) await chown(path, user.uid, user.gid)
}

/** initdb a fresh cluster: trust for the superuser on the socket and 127.0.0.1, a password for everyone else. */
export async function initCluster(options: {dir: string; binDir: string; port: number; tls: SandboxState['tls']}): Promise<{dataDir: string; socketDir: string}> {
  const {dataDir, root, socketDir} = postgresLayout(options.dir)
  await rm(root, {force: true, recursive: true})
  await rm(socketDir, {force: true, recursive: true})
  await ownDir(root)
  await ownDir(socketDir)
  await pgRun(options.binDir, 'initdb', ['-D', dataDir, '-U', SUPERUSER, '-A', 'trust', '-E', 'UTF8', '--locale=C', '--no-sync', '--no-instructions'], root)

  const user = runAsUser()
  for (const [from, to] of [
    [options.tls.certFile, 'server.crt'],
    [options.tls.keyFile, 'server.key'],
  ]) {
    await copyFile(from, join(dataDir, to))
    await chmod(join(dataDir, to), 0o600)
    if (user) await chown(join(dataDir, to), user.uid, user.gid)
  }

  const conf = [
    '# kasmctl sandbox',
    "listen_addresses = '127.0.0.1'",
    `port = ${options.port}`,
    `unix_socket_directories = '${socketDir}'`,
    'ssl = on',
    "ssl_cert_file = 'server.crt'",
    "ssl_key_file = 'server.key'",
    // A throwaway cluster: durability costs startup and reset time for nothing.
    'fsync = off',
    'synchronous_commit = off',
    'full_page_writes = off',
    'shared_buffers = 32MB',
    'max_connections = 100',
    "timezone = 'UTC'",
    'log_min_messages = warning',
    '',
  ].join('\n')
  await writeFile(join(dataDir, 'postgresql.conf'), `${await readFile(join(dataDir, 'postgresql.conf'), 'utf8')}\n${conf}`)
  const hba = [
    '# kasmctl sandbox: like Kasm, local access is trusted and other clients need a password.',
    '# (kasmctl connects with sslmode=require, as Kasm requires SSL for remote clients.)',
    'local all all trust',
    `host all ${SUPERUSER} 127.0.0.1/32 trust`,
    // Streaming replication for the superuser, so a test can attach a real standby (pg_basebackup -R).
    `host replication ${SUPERUSER} 127.0.0.1/32 trust`,
    'host all all 127.0.0.1/32 scram-sha-256',
    '',
  ].join('\n')
  await writeFile(join(dataDir, 'pg_hba.conf'), hba)
  return {dataDir, socketDir}
}

const logFileOf = (state: SandboxState): string => join(dirname(state.postgres.dataDir), 'postgres.log')

/** The postmaster's pid from postmaster.pid when that process is alive. */
export function postgresPid(state: SandboxState): number | undefined {
  try {
    const pid = Number(readFileSync(join(state.postgres.dataDir, 'postmaster.pid'), 'utf8').split('\n')[0])
    return processAlive(pid) ? pid : undefined
  } catch {
    return undefined
  }
}

/** Starts the cluster (waits until it accepts connections) and records the pid in `state`. */
export async function startPostgres(state: SandboxState): Promise<void> {
  if (postgresPid(state)) return
  const {dataDir} = state.postgres
  try {
    await pgRun(state.postgres.binDir, 'pg_ctl', ['start', '-D', dataDir, '-l', logFileOf(state), '-w', '-t', '30'], dirname(dataDir))
  } catch (error) {
    const log = await readFile(logFileOf(state), 'utf8').catch(() => '')
    throw new UnavailableError(`PostgreSQL did not start: ${(error as Error).message}\n${log.split('\n').slice(-5).join('\n')}`, {
      hint: `its log is ${logFileOf(state)}`,
    })
  }

  state.postgres.pid = postgresPid(state)
}

/** Stops the cluster (fast shutdown: open sessions are disconnected, as when kasm_db stops). */
export async function stopPostgres(state: SandboxState): Promise<void> {
  if (!postgresPid(state)) return
  await pgRun(state.postgres.binDir, 'pg_ctl', ['stop', '-D', state.postgres.dataDir, '-m', 'fast', '-w', '-t', '30'], dirname(state.postgres.dataDir))
  state.postgres.pid = undefined
}

/** Removes the cluster's files (they may live outside the sandbox dir). */
export async function removeCluster(state: SandboxState): Promise<void> {
  await rm(dirname(state.postgres.dataDir), {force: true, recursive: true})
  await rm(state.postgres.socketDir, {force: true, recursive: true})
}

/** A connected client as the superuser over 127.0.0.1 (trust). The caller ends it. */
export async function connectSuperuser(state: SandboxState, database = 'kasm'): Promise<pg.Client> {
  const client = new pg.Client({database, host: '127.0.0.1', port: state.postgres.port, user: state.postgres.superuser})
  // Reset and db-stop terminate idle sessions; without a listener that 'error' event would crash the process.
  client.on('error', () => undefined)
  try {
    await client.connect()
  } catch (error) {
    throw new UnavailableError(`cannot connect to the sandbox's PostgreSQL on 127.0.0.1:${state.postgres.port}: ${(error as Error).message}`, {
      hint: 'run `kasmctl sandbox status`; `kasmctl sandbox fault db-start` starts a stopped database',
    })
  }

  return client
}
