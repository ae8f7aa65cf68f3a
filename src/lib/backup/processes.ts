import {type ChildProcess, spawn, type StdioOptions} from 'node:child_process'
import {existsSync} from 'node:fs'
import {delimiter, join} from 'node:path'

import {UnavailableError} from '../errors.js'
import type {BackupCompression, BackupFormat} from './naming.js'

export interface ExitInfo {
  code: number | null
  signal: NodeJS.Signals | null
  /** Set when the process could not be started (ENOENT...). */
  error?: Error
}

/** A child process with its exit awaited from the start (no event can be missed) and the tail of its stderr. */
export interface Tool {
  name: string
  child: ChildProcess
  exited: Promise<ExitInfo>
  stderrTail(): string
}

const STDERR_TAIL = 4000

export function startTool(name: string, file: string, args: string[], options: {env?: NodeJS.ProcessEnv; stdio: StdioOptions}): Tool {
  const child = spawn(file, args, {env: options.env ?? process.env, stdio: options.stdio})
  let stderr = ''
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-STDERR_TAIL)
  })
  const exited = new Promise<ExitInfo>((resolve) => {
    child.once('error', (error) => resolve({code: null, error, signal: null}))
    child.once('close', (code, signal) => resolve({code, signal}))
  })
  return {child, exited, name, stderrTail: () => stderr.trim()}
}

/**
 * Runs a short command to completion and returns its output. child_process directly, not execa:
 * it sits on the path of every `backup create`, where execa's ~80 ms of module loading would show.
 */
export async function captureTool(name: string, file: string, args: string[], options: {env?: NodeJS.ProcessEnv; timeoutMs: number}): Promise<{exit: ExitInfo; stdout: string; stderr: string}> {
  const tool = startTool(name, file, args, {env: options.env, stdio: ['ignore', 'pipe', 'pipe']})
  let stdout = ''
  tool.child.stdout!.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  const timer = setTimeout(() => stopTool(tool), options.timeoutMs)
  const exit = await tool.exited.finally(() => clearTimeout(timer))
  return {exit, stderr: tool.stderrTail(), stdout}
}

/** Why a tool failed ("pg_dump was killed by SIGKILL", "pg_dump exited with 1: <its last error line>"), or undefined if it succeeded. */
export function failureOf(tool: Tool, exit: ExitInfo): string | undefined {
  if (exit.error) return `cannot run ${tool.name}: ${(exit.error as NodeJS.ErrnoException).code ?? exit.error.message}`
  if (exit.signal) return `${tool.name} was killed by ${exit.signal}`
  if (exit.code !== 0) {
    const lines = tool.stderrTail().split('\n').filter((line) => line.trim() !== '')
    const detail = lines.filter((line) => /error|fatal|could not|failed/i.test(line)).at(-1) ?? lines.at(-1)
    return `${tool.name} exited with ${exit.code}${detail ? `: ${detail.trim()}` : ''}`
  }

  return undefined
}

/** Stops a tool that is still running (its output is no longer wanted). */
export function stopTool(tool: Tool | undefined): void {
  if (tool && tool.child.exitCode === null && tool.child.signalCode === null) tool.child.kill('SIGTERM')
}

export function findExecutable(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name)
  }

  return undefined
}

/**
 * The compressor pg_dump's stdout goes through. zstd -3 measured 3.6× faster than `pg_dump -Fc`'s
 * gzip-6 at 0.95× its size (performance-notes.md §2). gzip with the custom format is pg_dump's own
 * -Z1 (measured 2.1×), so no process: see dumpCompressionArgs.
 */
export function compressorCommand(format: BackupFormat, compression: BackupCompression): string[] | undefined {
  if (compression === 'zstd') return ['zstd', '-3', '-q', '-c']
  if (compression === 'gzip' && format === 'tar') return ['gzip', '-1', '-c']
  return undefined
}

/** pg_dump's own compression flag: only the custom format compresses internally (-Z1 for gzip, -Z0 when zstd follows or none is asked). */
export function dumpCompressionArgs(format: BackupFormat, compression: BackupCompression): string[] {
  if (format !== 'custom') return []
  return ['-Z', compression === 'gzip' ? '1' : '0']
}

/** How to read a backup back as a plain archive; undefined when pg_restore reads the file directly. */
export function decompressorCommand(format: BackupFormat, compression: BackupCompression, path: string): string[] | undefined {
  if (compression === 'zstd') return ['zstd', '-d', '-q', '-c', path]
  if (compression === 'gzip' && format === 'tar') return ['gzip', '-d', '-c', path]
  return undefined
}

/** The default compression: zstd when its binary is installed, else gzip (level 1). */
export function defaultCompression(env: NodeJS.ProcessEnv = process.env): BackupCompression {
  return findExecutable('zstd', env) ? 'zstd' : 'gzip'
}

/** A compression that needs a binary fails early, naming it, when the binary is missing. */
export function requireCompressor(format: BackupFormat, compression: BackupCompression): void {
  const command = compressorCommand(format, compression)
  if (command && !findExecutable(command[0])) {
    throw new UnavailableError(`--compress ${compression} needs the \`${command[0]}\` program, which is not on PATH`, {
      hint: `install it (apt-get install ${command[0]}), or choose another --compress`,
    })
  }
}
