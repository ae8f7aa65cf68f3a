import {readdirSync, readFileSync, rmSync, statSync} from 'node:fs'
import Module from 'node:module'
import {dirname, join, sep} from 'node:path'
import vm from 'node:vm'

import {writeCacheFile} from './cache.js'

/**
 * V8's code cache for kasmctl's own bundles (scripts/bundle.mjs), written after the run that
 * compiled them. Node's compile cache (22.1+) is made when a module is compiled, so it holds only
 * the top-level code: every function a command runs was compiled again at each start, ~4–5 ms of
 * `zone list` (bench/startup.mjs). Node 20 has no compile cache at all.
 *
 * Only the .cjs files under `bundleDir`, which kasmctl builds, are compiled here; every other file
 * loads as Node loads it. A cache V8 rejects (another Node, other flags) is replaced; one that
 * cannot be read or written costs only the time it would have saved.
 */
export interface CodeCacheOptions {
  /** kasmctl's bundles: dist/. */
  bundleDir: string
  /** The caches: a file per bundle, in a directory per V8 version and architecture. */
  cacheDir: string
}

/** How each bundle was compiled: what the tests check. */
export type CompiledFrom = 'source' | 'cache' | 'source, cache rejected'

/**
 * The parameters a bundle's code is called with: CommonJS's, and `__kasmctlImport`, the import()
 * of this module. Code compiled by vm.Script cannot import() on Node 20 once it comes from a cache
 * (the callback is lost); the bundles call this instead (their banner falls back to their own import()).
 */
const WRAPPER = ['(function (exports, require, module, __filename, __dirname, __kasmctlImport) { ', '\n});']
const importFromHere = (specifier: string): Promise<unknown> => import(specifier)

/** Compiles the bundles under `bundleDir` with their code cache from now on; returns how each one was compiled. */
export function useCodeCache({bundleDir, cacheDir}: CodeCacheOptions): Map<string, CompiledFrom> {
  const compiled = new Map<string, CompiledFrom>()
  const dir = join(cacheDir, `v8-${process.versions.v8}-${process.arch}`)
  const root = bundleDir.endsWith(sep) ? bundleDir : bundleDir + sep
  const extensions = (Module as unknown as {_extensions: Record<string, (module: NodeJS.Module, filename: string) => void>})._extensions
  const loadAsNodeDoes = extensions['.cjs'] ?? extensions['.js']
  const toSave: Array<{file: string; script: vm.Script}> = []

  extensions['.cjs'] = (module, filename) => {
    if (!filename.startsWith(root)) return loadAsNodeDoes(module, filename)
    const file = join(dir, cacheName(filename))
    const cachedData = readIfPresent(file)
    const script = new vm.Script(WRAPPER[0] + readFileSync(filename, 'utf8') + WRAPPER[1], {cachedData, filename})
    const from: CompiledFrom = !cachedData ? 'source' : script.cachedDataRejected ? 'source, cache rejected' : 'cache'
    compiled.set(filename, from)
    if (from !== 'cache') toSave.push({file, script})
    const run = script.runInThisContext({displayErrors: true}) as (...args: unknown[]) => void
    run.call(module.exports, module.exports, Module.createRequire(filename), module, filename, dirname(filename), importFromHere)
  }

  // After the run, the cache holds every function the command compiled, not only the top level.
  process.once('exit', () => {
    for (const {file, script} of toSave) {
      if (writeCacheFile(file, script.createCachedData())) removeOlderCaches(file)
    }
  })
  return compiled
}

/** The bundle's path, then its size and modification time: a rebuilt bundle gets a cache of its own. */
function cacheName(filename: string): string {
  const {mtimeMs, size} = statSync(filename)
  return `${filename.replaceAll(sep, '%')}-${size}-${Math.trunc(mtimeMs)}.v8`
}

/** The caches of earlier builds of the same bundle (an upgrade, a rebuild), which nothing reads any more. */
function removeOlderCaches(file: string): void {
  const name = file.slice(dirname(file).length + 1)
  const bundle = name.replace(/-\d+-\d+\.v8$/, '-')
  try {
    for (const other of readdirSync(dirname(file))) {
      if (other !== name && other.startsWith(bundle) && other.endsWith('.v8')) rmSync(join(dirname(file), other), {force: true})
    }
  } catch {
    // Another run may be cleaning up too.
  }
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file)
  } catch {
    return undefined
  }
}
