// Issue 6: `kasmctl health` fans out to every target at once with a timeout each, so a run takes
// about as long as its slowest target. 200 web app endpoints (5-50 ms, one at 300 ms mid-list) served by a
// separate process; the health library sweeps them (concurrency 50) in fresh processes: the first
// sweep is cold (library load + connects), the next ones warm (keep-alive). Baseline: the slowest
// endpoint's own latency, measured in the same run. A hung endpoint must add at most the timeout + 250 ms.
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {request} from 'node:http'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {createInterface} from 'node:readline'

import {CLI, cleanEnv, median, ROOT, round} from './lib.mjs'

export const name = 'health'

const ENDPOINTS = 200
const RUNS = 5
const TIMEOUT_MS = 2000

export async function run() {
  const dir = mkdtempSync(join(tmpdir(), 'kasmctl-bench-health-'))
  const server = spawn(process.execPath, [join(ROOT, 'bench', 'health-endpoints.mjs'), String(ENDPOINTS)], {stdio: ['ignore', 'pipe', 'inherit']})
  try {
    const endpoints = JSON.parse(await firstLine(server.stdout))
    const answering = endpoints.filter((e) => !e.hung)
    const slowest = answering.find((e) => e.delayMs === Math.max(...answering.map((a) => a.delayMs)))
    const slowestMs = median(await Promise.all([0, 1, 2, 3, 4].map(() => timeGet(`${slowest.url}/api/__healthcheck`))))

    const contextFile = (name, list) => {
      const hosts = list.map((e, i) => ({name: `webapp-${i + 1}`, roles: ['webapp'], url: e.url}))
      const file = join(dir, `${name}.json`)
      writeFileSync(file, JSON.stringify({api: {url: list[0].url}, hosts, name}))
      return file
    }

    const plain = contextFile('bench-200', answering)
    const cold = []
    const warm = []
    for (let i = 0; i < RUNS; i++) {
      const {statuses, sweepsMs} = sweep(plain, 3)
      if (statuses.ok !== ENDPOINTS) throw new Error(`expected ${ENDPOINTS} OK checks, got ${JSON.stringify(statuses)}`)
      cold.push(sweepsMs[0])
      warm.push(...sweepsMs.slice(1))
    }

    const hung = []
    const withHung = contextFile('bench-hung', endpoints)
    // Warm sweeps, so that the figure is the hung endpoint's cost and not the library load.
    for (let i = 0; i < 2; i++) hung.push(...sweep(withHung, 3).sweepsMs.slice(1))

    // For information: the whole CLI process (Node start, oclif, the sweep, JSON out) against the same 200 endpoints.
    const configFile = join(dir, 'config.json')
    writeFileSync(configFile, JSON.stringify({contexts: [JSON.parse(readFileSync(plain, 'utf8'))], currentContext: 'bench-200'}))
    const cli = []
    for (let i = 0; i < 3; i++) {
      const started = performance.now()
      const result = spawnSync(process.execPath, [CLI, 'health', '--role', 'webapp', '--json'], {env: cleanEnv({KASMCTL_CONFIG: configFile}), stdio: ['ignore', 'ignore', 'pipe']})
      if (result.status !== 0) throw new Error(`kasmctl health exited ${result.status}: ${result.stderr}`)
      cli.push(performance.now() - started)
    }

    const row = (metric, subject, baselineMs, target, baseline, note) => ({
      baseline,
      baselineMs: round(baselineMs),
      metric,
      note,
      ratio: round(median(subject) / baselineMs, 2),
      subjectMs: round(median(subject)),
      target,
    })
    return [
      row(`health sweep of ${ENDPOINTS} web apps, warm`, warm, slowestMs, 1.2, 'slowest endpoint (300 ms)'),
      row(`health sweep of ${ENDPOINTS} web apps, cold`, cold, slowestMs, 1.3, 'slowest endpoint (300 ms)', '(library load + connects)'),
      row(`health sweep with one hung endpoint`, hung, TIMEOUT_MS + 250, 1, `timeout ${TIMEOUT_MS} ms + 250 ms`),
      row(`kasmctl health --role webapp (CLI process)`, cli, slowestMs, undefined, 'slowest endpoint (300 ms)', '(for information: includes Node and oclif start)'),
    ]
  } finally {
    server.kill()
    rmSync(dir, {force: true, recursive: true})
  }
}

function sweep(contextFile, sweeps) {
  const result = spawnSync(process.execPath, [join(ROOT, 'bench', 'health-sweep.mjs'), contextFile, String(sweeps), String(TIMEOUT_MS)], {encoding: 'utf8', env: cleanEnv()})
  if (result.status !== 0) throw new Error(`health sweep failed: ${result.stderr}`)
  return JSON.parse(result.stdout)
}

async function firstLine(stream) {
  const lines = createInterface({input: stream})
  for await (const line of lines) {
    lines.close()
    return line
  }

  throw new Error('the endpoint server printed nothing')
}

function timeGet(url) {
  return new Promise((resolve, reject) => {
    const started = performance.now()
    request(url, (res) => {
      res.resume()
      res.on('end', () => resolve(performance.now() - started))
    })
      .on('error', reject)
      .end()
  })
}
