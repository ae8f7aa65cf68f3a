// One fresh process per run: loads the built health library (timed: that is part of a cold run),
// then sweeps the context's web apps `sweeps` times. Prints {sweepsMs: [cold, warm...], statuses}.
// argv: <context.json> <sweeps> <timeoutMs>
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {pathToFileURL} from 'node:url'

const started = performance.now()
const [contextFile, sweeps = '3', timeoutMs = '2000'] = process.argv.slice(2)
// The built library (`npm run bench` builds first); KASMCTL_BENCH_DIST points at a build elsewhere.
const dist = process.env.KASMCTL_BENCH_DIST ?? join(import.meta.dirname, '..', 'dist')
const {runHealth} = await import(pathToFileURL(join(dist, 'lib', 'health', 'run.js')).href)
const context = JSON.parse(readFileSync(contextFile, 'utf8'))
const sweepsMs = []
let statuses = {}
for (let i = 0; i < Number(sweeps); i++) {
  const sweepStarted = i === 0 ? started : performance.now()
  const report = await runHealth({client: () => Promise.reject(new Error('no API in this benchmark')), context, roles: ['webapp'], timeoutMs: Number(timeoutMs)})
  sweepsMs.push(performance.now() - sweepStarted)
  statuses = report.summary
}

process.stdout.write(`${JSON.stringify({statuses, sweepsMs})}\n`)
