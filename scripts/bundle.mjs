// Bundles each command, and the early reads bin/run.js starts with (two bundles), from dist/ (tsc's output) into
// one CommonJS file each (bench/startup.mjs):
// - One file: on Node 20, which has no compile cache, each module costs ~0.5 ms to resolve, read
//   and compile; `zone list` loaded ~20 of tsc's modules, the early reads ~20 more.
// - CommonJS: oclif require()s a .cjs command, a synchronous read; an ES module goes through the
//   asynchronous loader, a trip to the thread pool for each file.
// - Still lazy: what a module imports dynamically runs only when asked, and so does what it imports
//   from a package (pg, yaml, listr2...), which esbuild turns into a require() inside that module's
//   own initialiser. The ESM-only packages (chalk, prompts) stay dynamic import()s.
//
// Within one process all code then comes from one file, except early-answers.cjs, which the early
// reads and the command share, and through which only plain data passes (each bundle has its own
// copy of the classes). help.js, the hooks and the sandbox's own processes stay as tsc wrote them.
//
// bin/run.js compiles the bundles with V8's code cache (src/lib/code-cache.ts), through vm.Script,
// whose code cannot import() on Node 20 once it comes from the cache: a bundle's import() of a
// package calls `__kasmctlImport`, which that loader passes in, or the bundle's own import() otherwise.
import {build} from 'esbuild'
import {readdirSync, readFileSync, rmSync, statSync, writeFileSync} from 'node:fs'
import {readFile} from 'node:fs/promises'
import {dirname, join, relative} from 'node:path'

const EARLY_ANSWERS = 'dist/lib/kasm/early-answers.cjs'
/** Left outside every build under this placeholder, which each output file then replaces with its own relative path. */
const SHARED = '@kasmctl/shared-early-answers'
const sharedEarlyAnswers = {
  name: 'shared-early-answers',
  setup(bundle) {
    bundle.onResolve({filter: /\/early-answers\.js$/}, () => ({external: true, path: SHARED}))
  },
}

// The early reads are two bundles: the decision, which every command loads, and the sending, which only a
// command with early reads loads. Each then has a code cache of the functions it runs (src/lib/code-cache.ts),
// whichever command ran first.
const EARLY_SEND = './early-send.bundle.cjs'
const earlySendApart = {
  name: 'early-send-apart',
  setup(bundle) {
    bundle.onResolve({filter: /^\.\/early-send\.js$/}, () => ({external: true, path: EARLY_SEND}))
  },
}

const IMPORT = '__kasmctlImport'
const importThroughLoader = {
  name: 'import-through-loader',
  setup(bundle) {
    bundle.onLoad({filter: /\.js$/}, async (args) => ({
      // Every import() but of a relative module, which esbuild bundles.
      contents: (await readFile(args.path, 'utf8')).replaceAll(/\bimport\((?!\s*['"]\.)/g, `${IMPORT}(`),
      loader: 'js',
    }))
  },
}

function commandFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name)
    if (statSync(path).isDirectory()) return commandFiles(path)
    return name.endsWith('.js') ? [path] : []
  })
}

const commands = commandFiles('dist/commands')
const entries = [
  ...commands.map((file) => ({file, outfile: file.replace(/\.js$/, '.cjs'), plugins: [sharedEarlyAnswers, importThroughLoader]})),
  // import() of the sending bundle becomes a require(): code from the cache cannot import() on Node 20.
  {file: 'dist/lib/kasm/early-read.js', outfile: 'dist/lib/kasm/early-read.bundle.cjs', plugins: [earlySendApart], supported: {'dynamic-import': false}},
  {file: 'dist/lib/kasm/early-send.js', outfile: 'dist/lib/kasm/early-send.bundle.cjs', plugins: [sharedEarlyAnswers, importThroughLoader]},
  {file: 'dist/lib/kasm/early-answers.js', outfile: EARLY_ANSWERS, plugins: []},
  // The loader itself, which bin/run.js requires before any bundle, and what it requires before oclif.
  {file: 'dist/lib/code-cache.js', outfile: 'dist/lib/code-cache.cjs', plugins: []},
  {file: 'dist/lib/command-id-order.js', outfile: 'dist/lib/command-id-order.cjs', plugins: []},
]

const results = await Promise.all(
  entries.map(({file, outfile, plugins, supported}) =>
    build({
      banner: {
        js: [
          // First, or it is no directive: the modules were ES modules, strict.
          '"use strict";',
          // CommonJS has no import.meta: the modules that find files or packages from their own URL get the bundle's.
          'const __kasmctlModuleUrl = require("node:url").pathToFileURL(__filename).href;',
          // The code cache's loader passes its import(); required as usual, the bundle has its own.
          ...(plugins.includes(importThroughLoader) ? [`var ${IMPORT} = typeof ${IMPORT} === "function" ? ${IMPORT} : (specifier) => import(specifier);`] : []),
        ].join('\n'),
      },
      bundle: true,
      define: {'import.meta.url': '__kasmctlModuleUrl'},
      entryPoints: [file],
      format: 'cjs',
      logLevel: 'warning',
      metafile: true,
      outfile,
      packages: 'external',
      platform: 'node',
      plugins,
      supported,
      target: 'node20',
    }),
  ),
)

// oclif finds the commands by their files (oclif manifest runs after this): only the bundles stay.
for (const file of commands) rmSync(file)

// A relative path, not a package.json "imports" alias: resolving one read package.json first, ~2 ms of every start.
for (const output of new Set(results.flatMap((result) => Object.keys(result.metafile.outputs)))) {
  const code = readFileSync(output, 'utf8')
  if (!code.includes(SHARED)) continue
  const path = relative(dirname(output), EARLY_ANSWERS)
  writeFileSync(output, code.replaceAll(`"${SHARED}"`, JSON.stringify(path.startsWith('.') ? path : `./${path}`)))
}
