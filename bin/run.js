#!/usr/bin/env node
import module from 'node:module'
import {homedir} from 'node:os'
import {join} from 'node:path'

// Node 22.1+ keeps the code it compiled on disk and reuses it on the next run: a large part of
// start-up (bench/startup.mjs). It must be on before oclif and the commands are loaded, hence the
// dynamic import below. The cache is disposable; when it cannot be written Node carries on without it.
module.enableCompileCache?.(join(process.env.XDG_CACHE_HOME || join(homedir(), '.cache'), 'kasmctl', 'compile-cache'))

const {execute} = await import('@oclif/core')
await execute({dir: import.meta.url})
