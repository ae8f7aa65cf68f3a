/**
 * A real OpenSSH server on 127.0.0.1 for the SSH paths: throwaway host and client keys in a temp
 * directory, its own sshd_config (root login by key only, no PAM), a free port. Needs root and
 * /usr/sbin/sshd (`.ci/run` installs openssh-server). Stop it in an `after()` hook.
 */
import {type ChildProcess, execFile, spawn} from 'node:child_process'
import {mkdir, mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {createConnection} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import type {HostEntry} from '../../src/lib/config/types.js'
import {freePorts} from '../../src/lib/net.js'

const SSHD = process.env.KASMCTL_SSHD ?? '/usr/sbin/sshd'

export interface TestSshd {
  port: number
  /** `root@127.0.0.1` */
  destination: string
  /** Client options that trust this throwaway server and use its key. */
  sshOptions: string[]
  /** A host entry reached through this sshd. */
  host(name: string, extra?: Partial<HostEntry>): HostEntry
  stop(): Promise<void>
}

export async function startSshd(): Promise<TestSshd> {
  const dir = await mkdtemp(join(tmpdir(), 'kasmctl-sshd-'))
  const keygen = (file: string) => promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', 'kasmctl-test', '-f', join(dir, file)])
  await Promise.all([keygen('host_key'), keygen('client_key')])
  await writeFile(join(dir, 'authorized_keys'), await readFile(join(dir, 'client_key.pub')))
  await mkdir('/run/sshd', {recursive: true, mode: 0o755}) // privilege separation directory
  const port = (await freePorts(1))[0]
  const config = [
    'ListenAddress 127.0.0.1',
    `HostKey ${join(dir, 'host_key')}`,
    'PermitRootLogin prohibit-password',
    `AuthorizedKeysFile ${join(dir, 'authorized_keys')}`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'StrictModes no',
    'UsePAM no',
    `PidFile ${join(dir, 'sshd.pid')}`,
    'LogLevel ERROR',
  ]
  await writeFile(join(dir, 'sshd_config'), `${config.join('\n')}\n`)
  const child = spawn(SSHD, ['-D', '-e', '-f', join(dir, 'sshd_config'), '-p', String(port)], {stdio: ['ignore', 'ignore', 'pipe']})
  let stderr = ''
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr += chunk.toString()
  })
  const killOnExit = () => child.kill('SIGKILL')
  process.once('exit', killOnExit)
  await waitForPort(port, child, () => stderr)

  const sshOptions = ['-p', String(port), '-i', join(dir, 'client_key'), '-o', 'IdentitiesOnly=yes', '-o', 'StrictHostKeyChecking=no', '-o', 'UserKnownHostsFile=/dev/null', '-o', 'LogLevel=ERROR']
  return {
    destination: 'root@127.0.0.1',
    host: (name, extra = {}) => ({name, roles: ['webapp'], ssh: 'root@127.0.0.1', sshOptions, ...extra}),
    port,
    sshOptions,
    async stop() {
      process.off('exit', killOnExit)
      await stopChild(child)
      await rm(dir, {force: true, recursive: true})
    },
  }
}


async function waitForPort(port: number, child: ChildProcess, stderr: () => string): Promise<void> {
  const deadline = Date.now() + 10_000
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`sshd exited with ${child.exitCode}: ${stderr()}`)
    const open = await new Promise<boolean>((resolve) => {
      const socket = createConnection({host: '127.0.0.1', port})
      socket.once('connect', () => {
        socket.destroy()
        resolve(true)
      })
      socket.once('error', () => resolve(false))
    })
    if (open) return
    await new Promise((resolve) => {
      setTimeout(resolve, 50)
    })
  }

  child.kill('SIGKILL')
  throw new Error(`sshd did not listen on 127.0.0.1:${port} within 10s: ${stderr()}`)
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return
  const exited = new Promise((resolve) => {
    child.once('exit', resolve)
  })
  child.kill('SIGTERM')
  await exited
}
