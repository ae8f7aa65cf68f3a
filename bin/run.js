#!/usr/bin/env node
// Node 22.1+ keeps the code it compiled on disk and reuses it on the next run: a large part of
// start-up (bench/startup.mjs). It must be on before oclif and the commands are loaded, hence the
// dynamic imports. The cache is disposable; when it cannot be written Node carries on without it.
// Node 20 has no compile cache, and loads nothing for it.
if (Number(process.versions.node.split('.')[0]) >= 22) {
  const [{default: module}, {homedir}, {join}] = await Promise.all([import('node:module'), import('node:os'), import('node:path')])
  module.enableCompileCache?.(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kasmctl', 'compile-cache'))
}

// Started by the launcher of a self-contained build (scripts/dist.sh): commands that write out how to
// run kasmctl again (`backup cron`) must name that launcher, which brings its own Node, not this file.
if (process.env.KASMCTL_LAUNCHER) {
  process.argv[1] = process.env.KASMCTL_LAUNCHER
  delete process.env.KASMCTL_LAUNCHER
}

// A read-only API command has curl ask its first reads now, while oclif loads (src/lib/kasm/early-read.ts).
// `--version` and `--help` name no command: they load nothing for it.
const argv = process.argv.slice(2)
if (argv.some((word) => !word.startsWith('-'))) {
  const {startEarlyReads} = await import('../dist/lib/kasm/early-read.bundle.js')
  await startEarlyReads(argv)
}

// oclif is CommonJS: require() loads it without the ES module loader's resolution and export scan.
const {createRequire} = await import('node:module')
const {execute} = createRequire(import.meta.url)('@oclif/core')
await execute({dir: import.meta.url})
