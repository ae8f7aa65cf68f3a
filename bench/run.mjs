#!/usr/bin/env node
// `npm run bench [-- NAME...]`: runs the benchmarks and prints each result as a ratio against a
// baseline measured in the same run, with its target. Results also go to bench/results/latest.json.
//
// A suite is a module exporting `name` and `async run()` returning rows:
//   {metric, baseline, subjectMs?, baselineMs?, ratio, target, atLeast?: true, note?}
// `ratio` is subject / baseline; a row passes when ratio <= target, or ratio >= target with atLeast.
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

import {ROOT} from './lib.mjs'

const suites = [await import('./startup.mjs')]
for (const extra of ['health', 'purge', 'backup']) {
  try {
    suites.push(await import(`./${extra}.mjs`))
  } catch (error) {
    if (error.code !== 'ERR_MODULE_NOT_FOUND' || !String(error.message).includes(`${extra}.mjs`)) throw error
  }
}
const wanted = process.argv.slice(2)
const all = []
for (const suite of suites) {
  if (wanted.length > 0 && !wanted.includes(suite.name)) continue
  console.error(`bench: ${suite.name}...`)
  for (const result of await suite.run()) {
    const pass = result.target === undefined ? undefined : result.atLeast ? result.ratio >= result.target : result.ratio <= result.target
    const row = {suite: suite.name, ...result, pass}
    all.push(row)
    const times = row.subjectMs === undefined ? '' : `; ${row.subjectMs} ms vs ${row.baselineMs} ms`
    const target = row.target === undefined ? 'no target' : `target ${row.atLeast ? '>=' : '<='} ${row.target}x`
    const verdict = pass === undefined ? 'info' : pass ? 'ok  ' : 'MISS'
    console.log(`${verdict}  ${row.metric.padEnd(48)} ${String(row.ratio).padStart(6)}x  (${target} vs ${row.baseline}${times})${row.note ? ` ${row.note}` : ''}`)
  }
}

mkdirSync(join(ROOT, 'bench', 'results'), {recursive: true})
writeFileSync(join(ROOT, 'bench', 'results', 'latest.json'), `${JSON.stringify({date: new Date().toISOString(), node: process.version, results: all}, null, 2)}\n`)
