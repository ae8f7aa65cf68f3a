#!/usr/bin/env node
// The bundles (scripts/bundle.mjs) and oclif are CommonJS: require() loads them without the ES module
// loader's resolution, asynchronous reads and export scan.
const {default: module} = await import('node:module')
const require = module.createRequire(import.meta.url)
const {homedir} = require('node:os')
const {join} = require('node:path')
const cache = join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kasmctl')

// Node 22.1+ keeps the code it compiled on disk and reuses it on the next run: a large part of
// start-up (bench/startup.mjs). It must be on before oclif is loaded. The cache is disposable; when it
// cannot be written Node carries on without it. Node 20 has no compile cache.
module.enableCompileCache?.(join(cache, 'compile-cache'))

// Started by the launcher of a self-contained build (scripts/dist.sh): commands that write out how to
// run kasmctl again (`backup cron`) must name that launcher, which brings its own Node, not this file.
if (process.env.KASMCTL_LAUNCHER) {
  process.argv[1] = process.env.KASMCTL_LAUNCHER
  delete process.env.KASMCTL_LAUNCHER
}

// `--version` and `--help` name no command: they load nothing for one.
const argv = process.argv.slice(2)
if (argv.some((word) => !word.startsWith('-'))) {
  // kasmctl's own bundles get V8's code cache, written after the run with the functions it ran (src/lib/code-cache.ts).
  const bundleDir = require('node:url').fileURLToPath(new URL('../dist/', import.meta.url))
  require('../dist/lib/code-cache.cjs').useCodeCache({bundleDir, cacheDir: join(cache, 'code-cache')})
  // A read-only API command has curl ask its first reads now, while oclif loads (src/lib/kasm/early-read.ts).
  await require('../dist/lib/kasm/early-read.bundle.cjs').startEarlyReads(argv)
}

// oclif's sort of the command ids would build an ICU collator, ~7 ms of every start (src/lib/command-id-order.ts).
require('../dist/lib/command-id-order.cjs').sortCommandIdsWithoutIcu()
await require('@oclif/core').execute({dir: import.meta.url})
