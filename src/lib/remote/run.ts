import {constants} from 'node:os'

import type {HostEntry} from '../config/types.js'
import {OperationError, UnavailableError} from '../errors.js'
import {runChild} from '../process/children.js'
import {shellJoin} from './shell.js'

export interface CommandResult {
  stdout: string
  stderr: string
  exitCode: number
}

export interface RunOptions {
  /** Written to the command's stdin (otherwise stdin is empty). */
  input?: string
  /** Kill the command (and ssh) after this long; default: no limit. */
  timeoutMs?: number
  /** Over SSH as a non-root user, run the command through `sudo -n`. Ignored locally: kasmctl then runs as you. */
  sudo?: boolean
  /** Aborting stops the command (locally; over SSH, the ssh client). */
  signal?: AbortSignal
  /**
   * Over SSH, give the command a terminal (ssh -tt): when the ssh client dies (kasmctl killed, the
   * connection lost), the remote side hangs up and the command gets SIGHUP instead of running on
   * unseen. Its stderr then arrives in stdout. For long commands that must not outlive kasmctl.
   */
  hangUpWithClient?: boolean
}

/** OpenSSH exits 255 when it cannot connect or authenticate. */
const SSH_CONNECTION_FAILURE = 255
/** The shell's "command not found", used when a local command cannot be spawned at all. */
const COMMAND_NOT_FOUND = 127

/** A host in the inventory that could not be reached over SSH. Nothing was run on it. */
export class HostUnreachableError extends UnavailableError {
  readonly host: string

  constructor(host: HostEntry, sshError: string) {
    super(`host ${host.name} is unreachable over SSH (${host.ssh}): ${sshError || 'ssh exited with 255'}`, {
      details: {host: host.name, ssh: host.ssh},
      hint: `check that \`ssh ${[...(host.sshOptions ?? []), host.ssh].join(' ')}\` works without a password prompt (BatchMode), then re-run`,
    })
    this.host = host.name
  }
}

/** True when the host is reached over SSH; false when it is this machine. */
export function isRemoteHost(host: HostEntry): host is HostEntry & {ssh: string} {
  return host.ssh !== undefined && host.ssh !== ''
}

/** `webapp-1 (root@10.0.0.5)` or `webapp-1 (local)`, for messages. */
export function describeHost(host: HostEntry): string {
  return `${host.name} (${isRemoteHost(host) ? host.ssh : 'local'})`
}

/**
 * Runs argv on a host. Locally (no `ssh` in the host entry) the command is spawned directly, without a
 * shell. Over SSH it goes through the system OpenSSH client (BatchMode, ~/.ssh/config, the host's
 * sshOptions) as one command line in which every argument is shell-quoted, so no value can inject a
 * command. A host that ssh cannot reach raises HostUnreachableError; a non-zero exit of the command
 * itself is returned in the result.
 */
export async function runOnHost(host: HostEntry, argv: string[], options: RunOptions = {}): Promise<CommandResult> {
  if (argv.length === 0) throw new TypeError('runOnHost needs a command')
  const remote = isRemoteHost(host)
  const tty = remote && options.hangUpWithClient === true
  const [file, args] = remote ? ['ssh', [...(tty ? ['-tt'] : []), ...sshArguments(host, remoteCommandLine(argv, options.sudo))]] : [argv[0], argv.slice(1)]
  const run = await runChild(file, file, args, {input: options.input, signal: options.signal, timeoutMs: options.timeoutMs})
  const {exit, stderr, timedOut} = run
  const stdout = tty ? run.stdout.replaceAll('\r\n', '\n') : run.stdout
  if (timedOut) {
    throw new UnavailableError(`\`${shellJoin(argv)}\` on host ${describeHost(host)} did not finish within ${Math.round((options.timeoutMs ?? 0) / 1000)}s`, {
      details: {host: host.name},
    })
  }

  if (exit.error) {
    // Could not be spawned at all (ENOENT, EACCES).
    const why = `${(exit.error as NodeJS.ErrnoException).code ?? exit.error.message}: ${file}`
    if (remote) {
      throw new UnavailableError(`cannot run the OpenSSH client \`ssh\`: ${why}`, {
        hint: 'install the OpenSSH client (apt-get install openssh-client)',
      })
    }

    return {exitCode: COMMAND_NOT_FOUND, stderr: `${why}\n`, stdout}
  }

  if (remote && exit.code === SSH_CONNECTION_FAILURE) throw new HostUnreachableError(host, lastLine(stderr))
  const exitCode = exit.code ?? 128 + signalNumber(exit.signal ?? undefined)
  return {exitCode, stderr, stdout}
}

/** runOnHost, but a non-zero exit is an OperationError that says what failed and its stderr. */
export async function runOnHostChecked(host: HostEntry, argv: string[], options: RunOptions = {}): Promise<CommandResult> {
  const result = await runOnHost(host, argv, options)
  if (result.exitCode !== 0) {
    const detail = lastLine(result.stderr) || lastLine(result.stdout)
    throw new OperationError(`\`${shellJoin(argv)}\` failed on host ${describeHost(host)} (exit ${result.exitCode})${detail ? `: ${detail}` : ''}`, {
      details: {exitCode: result.exitCode, host: host.name},
    })
  }

  return result
}

/** ssh's argv: batch mode (never a password prompt), the host's own options, then the destination and command. */
export function sshArguments(host: HostEntry & {ssh: string}, commandLine: string): string[] {
  return ['-o', 'BatchMode=yes', '-o', 'ConnectTimeout=15', '-o', 'ServerAliveInterval=15', ...(host.sshOptions ?? []), '--', host.ssh, commandLine]
}

/**
 * The command line the remote login shell runs. With sudo, root runs the command directly and any
 * other user goes through `sudo -n` (never a password prompt): the ssh user may come from
 * ~/.ssh/config, so the remote side decides.
 */
export function remoteCommandLine(argv: readonly string[], sudo = false): string {
  const command = shellJoin(argv)
  if (!sudo) return command
  return `if [ "$(id -u)" -eq 0 ]; then exec ${command}; else exec sudo -n -- ${command}; fi`
}

function lastLine(text: string): string {
  return text.trim().split('\n').at(-1)?.trim() ?? ''
}

function signalNumber(signal: string | undefined): number {
  return (signal && constants.signals[signal as keyof typeof constants.signals]) || 0
}
