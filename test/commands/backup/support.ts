/** Helpers shared by the backup command tests. */
import {expect} from 'chai'
import {readdirSync, readFileSync} from 'node:fs'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import type pg from 'pg'

import type {BackupCreateJson} from '../../../src/lib/backup/render.js'
import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

/** Mocha hooks of the backup tests: the sandbox reset once, and a fresh backup directory for each test. */
export function withSandboxAndDest(bind: (sandbox: TestSandbox) => void, bindDest: (dest: string) => void): void {
  let dest: string | undefined
  before(async () => {
    const sandbox = await useSandbox()
    await sandbox.reset()
    bind(sandbox)
  })

  beforeEach(async () => {
    dest = await tempDir()
    bindDest(dest)
  })

  afterEach(async () => {
    if (dest) await rm(dest, {force: true, recursive: true})
  })
}

export async function tempDir(parent = tmpdir()): Promise<string> {
  await mkdir(parent, {recursive: true})
  return mkdtemp(join(parent, 'kasmctl-backup-'))
}

/** `backup create --json` that must succeed; returns its JSON. */
export async function createBackup(sandbox: TestSandbox, dest: string, extra: string[] = [], env: NodeJS.ProcessEnv = sandbox.env): Promise<BackupCreateJson> {
  const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--json', ...extra], {env})
  expect(result.exitCode, result.stderr).to.equal(0)
  return JSON.parse(result.stdout)
}

/** Every process (from /proc) with its parent, command name and argv. */
function processTable(): Map<number, {ppid: number; name: string; argv: string[]}> {
  const parents = new Map<number, {ppid: number; name: string; argv: string[]}>()
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))
      const argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0')
      parents.set(Number(entry), {argv, name, ppid: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])})
    } catch {
      // exited meanwhile
    }
  }

  return parents
}

/** Processes with this command name, whoever started them. */
export function processesNamed(name: string): Array<{pid: number; argv: string[]}> {
  return [...processTable()].filter(([, info]) => info.name === name).map(([pid, info]) => ({argv: info.argv.filter((arg) => arg !== ''), pid}))
}

/** Pids of a process's descendants with their command names and argv (from /proc). */
export function descendants(pid: number): Array<{pid: number; name: string; argv: string[]}> {
  const parents = processTable()
  const found: Array<{pid: number; name: string; argv: string[]}> = []
  const walk = (parent: number): void => {
    for (const [child, info] of parents) {
      if (info.ppid === parent) {
        found.push({argv: info.argv, name: info.name, pid: child})
        walk(child)
      }
    }
  }

  walk(pid)
  return found
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, timeoutMs = 30_000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await probe()
    if (value !== undefined && value !== false) return value
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 100))
  }
}

/**
 * Holds ACCESS EXCLUSIVE on a table that the manifest does not count (api_configs): pg_dump then
 * waits for it right after starting, which gives a test a running pg_dump to kill or to race.
 */
export async function blockPgDump(sandbox: TestSandbox): Promise<{release(): Promise<void>}> {
  const client: pg.Client = await sandbox.db()
  await client.query('BEGIN')
  await client.query('LOCK TABLE api_configs IN ACCESS EXCLUSIVE MODE')
  return {
    async release() {
      await client.query('ROLLBACK').catch(() => undefined)
      await client.end()
    },
  }
}

/** The pg_dump that is dumping (not `pg_dump --version`) under a kasmctl process. */
export function runningPgDump(kasmctlPid: number): {pid: number} | undefined {
  return descendants(kasmctlPid).find((p) => p.name === 'pg_dump' && p.argv.some((arg) => arg.startsWith('--snapshot=')))
}

/** Live row counts of tables, as the superuser. */
export async function liveCounts(sandbox: TestSandbox, tables: string[]): Promise<Record<string, number>> {
  const client = await sandbox.db()
  try {
    const counts: Record<string, number> = {}
    for (const table of tables) counts[table] = Number((await client.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n)
    return counts
  } finally {
    await client.end()
  }
}

/**
 * There is no Docker engine here: a stand-in `docker` (in `<dir>/bin`, to put first on PATH) records
 * its argv in `<dir>/docker.log`, runs `docker compose ...` as the sandbox host's compose stand-in in
 * the current directory, and runs `docker exec -i kasm_db TOOL ...` as the real local TOOL
 * against the sandbox database, as the container's own tools reach their server (with the sandbox's
 * PATH, as the container has its own tools whatever the host's PATH). `ps` lists kasm_db.
 * Tests use it to check the exact commands kasmctl builds for the docker path.
 */
export async function dockerStandIn(sandbox: TestSandbox, dir: string): Promise<{env: NodeJS.ProcessEnv; calls(): Promise<string[]>}> {
  const bin = join(dir, 'bin')
  const log = join(dir, 'docker.log')
  await mkdir(bin, {recursive: true})
  const {kasmappPassword, port} = sandbox.state.postgres
  const script = [
    '#!/bin/sh',
    `echo "$*" >> '${log}'`,
    'case "$1" in',
    '  ps) echo kasm_db; exit 0 ;;',
    // `docker compose ...` in a sandbox host's docker/ directory: that host's compose stand-in (sandbox/hosts.ts).
    '  compose) shift; exec ./sandbox-compose "$@" ;;',
    `  exec) [ "$2" = -i ] && [ "$3" = kasm_db ] || exit 1; shift 3; PATH='${sandbox.env.PATH}' PGHOST=127.0.0.1 PGPORT=${port} PGSSLMODE=require PGPASSWORD='${kasmappPassword}' exec "$@" ;;`,
    'esac',
    'exit 1',
  ].join('\n')
  await writeFile(join(bin, 'docker'), `${script}\n`, {mode: 0o755})
  return {
    calls: async () => (await readFile(log, 'utf8')).trimEnd().split('\n'),
    env: {...sandbox.env, PATH: `${bin}:${sandbox.env.PATH}`},
  }
}
