// Shared helpers for the benchmarks: timing child processes, medians, and a temporary sandbox.
import {execFileSync, spawnSync} from 'node:child_process'
import {mkdtempSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

export const ROOT = resolve(fileURLToPath(new URL('..', import.meta.url)))
export const CLI = join(ROOT, 'bin', 'run.js')

/** The environment both sides of a comparison run in. NODE_EXTRA_CA_CERTS adds ~30 ms to every Node 20 start, so it is removed from both. */
export function cleanEnv(extra = {}) {
  const env = {...process.env, NO_COLOR: '1', ...extra}
  delete env.NODE_EXTRA_CA_CERTS
  delete env.KASMCTL_DEBUG
  return env
}

/** Wall time in ms of `argv`, run `runs` times after `warmup` runs; returns the sorted samples. */
export function timeCommand(argv, {env = cleanEnv(), runs = 20, warmup = 3} = {}) {
  const samples = []
  for (let i = 0; i < warmup + runs; i++) {
    const started = process.hrtime.bigint()
    const result = spawnSync(argv[0], argv.slice(1), {env, stdio: ['ignore', 'ignore', 'pipe']})
    const ms = Number(process.hrtime.bigint() - started) / 1e6
    if (result.status !== 0) throw new Error(`${argv.join(' ')} exited ${result.status}: ${result.stderr}`)
    if (i >= warmup) samples.push(ms)
  }

  return samples.sort((a, b) => a - b)
}

/**
 * Interleaves two commands run by run (A, B, A, B...) so that machine noise hits both alike,
 * and returns their medians and the ratio B/A.
 */
export function compare(baseline, subject, {env = cleanEnv(), runs = 20, warmup = 3} = {}) {
  const a = []
  const b = []
  for (let i = 0; i < warmup + runs; i++) {
    const ta = timeCommand(baseline, {env, runs: 1, warmup: 0})[0]
    const tb = timeCommand(subject, {env, runs: 1, warmup: 0})[0]
    if (i >= warmup) {
      a.push(ta)
      b.push(tb)
    }
  }

  const baselineMs = median(a)
  const subjectMs = median(b)
  return {baselineMs: round(baselineMs), ratio: round(subjectMs / baselineMs, 2), subjectMs: round(subjectMs)}
}

export function median(values) {
  const sorted = [...values].sort((x, y) => x - y)
  const mid = Math.floor(sorted.length / 2)
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2
}

export function percentile(values, p) {
  const sorted = [...values].sort((x, y) => x - y)
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]
}

export function round(value, digits = 1) {
  const f = 10 ** digits
  return Math.round(value * f) / f
}

/** Starts a sandbox in a temp dir with the built CLI; returns its env and a stop function. */
export function startSandbox() {
  const dir = mkdtempSync(join(tmpdir(), 'kasmctl-bench-'))
  const env = cleanEnv({KASMCTL_CONFIG: join(dir, 'config.yaml'), KASMCTL_SANDBOX_DIR: join(dir, 'sandbox'), XDG_DATA_HOME: join(dir, 'data')})
  execFileSync(process.execPath, [CLI, 'sandbox', 'up'], {env, stdio: ['ignore', 'ignore', 'inherit']})
  return {
    dir,
    env,
    stop() {
      const down = spawnSync(process.execPath, [CLI, 'sandbox', 'down', '--purge', '--yes'], {env, encoding: 'utf8'})
      if (down.status !== 0) throw new Error(`sandbox down failed (its processes may still run; state in ${dir}): ${down.stderr}`)
      rmSync(dir, {force: true, recursive: true})
    },
  }
}
