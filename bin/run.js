#!/usr/bin/env node
import module from 'node:module'
import {homedir} from 'node:os'
import {join} from 'node:path'

// Node 22.1+ keeps the code it compiled on disk and reuses it on the next run: a large part of
// start-up (bench/startup.mjs). It must be on before oclif and the commands are loaded, hence the
// dynamic import below. The cache is disposable; when it cannot be written Node carries on without it.
module.enableCompileCache?.(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kasmctl', 'compile-cache'))

// Started by the launcher of a self-contained build (scripts/dist.sh): commands that write out how to
// run kasmctl again (`backup cron`) must name that launcher, which brings its own Node, not this file.
if (process.env.KASMCTL_LAUNCHER) {
  process.argv[1] = process.env.KASMCTL_LAUNCHER
  delete process.env.KASMCTL_LAUNCHER
}

// A read-only API command has a worker ask its first reads now, while oclif loads (src/lib/kasm/early-read.ts).
// `--version` and `--help` name no command: they load nothing for it.
const argv = process.argv.slice(2)
if (argv.some((word) => !word.startsWith('-'))) {
  const {startEarlyReads} = await import('../dist/lib/kasm/early-read.js')
  startEarlyReads(argv)
}

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
