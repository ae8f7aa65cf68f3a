// Bundles each command, and the early reads bin/run.js starts with, from dist/ (tsc's output) into
// one file per command plus the chunks it loads lazily. On Node 20, which has no compile cache, each
// ES module costs ~0.5 ms to resolve, read and compile: `zone list` loaded ~20 of them, the early
// reads ~20 more (bench/startup.mjs). One build per command keeps its lazily loaded parts (pg,
// listr2, prompts...) in chunks of their own, as the modules were.
//
// Within one process every module then comes from one build, except early-answers.js, which the
// early reads and the command share, and through which only plain data passes (each build has its
// own copy of the classes). help.js, the hooks and
// the sandbox's own processes stay as tsc wrote them.
import {build} from 'esbuild'
import {readdirSync, readFileSync, statSync, writeFileSync} from 'node:fs'
import {createRequire} from 'node:module'
import {dirname, join, relative} from 'node:path'

const EARLY_ANSWERS = 'dist/lib/kasm/early-answers.js'
/** Left outside every build under this placeholder, which each output file then replaces with its own relative path. */
const SHARED = '@kasmctl/shared-early-answers'
const sharedEarlyAnswers = {
  name: 'shared-early-answers',
  setup(bundle) {
    bundle.onResolve({filter: /\/early-answers\.js$/}, () => ({external: true, path: SHARED}))
  },
}

// oclif is CommonJS, and bin/run.js require()s it: a command importing it as an ES module made Node scan its
// exports again (~3.5 ms). The bundles take it from require() too, with the names it exports.
const OCLIF_EXPORTS = Object.keys(createRequire(import.meta.url)('@oclif/core')).filter((name) => /^[A-Za-z_$][\w$]*$/.test(name))
const oclifByRequire = {
  name: 'oclif-by-require',
  setup(bundle) {
    bundle.onResolve({filter: /^@oclif\/core$/}, () => ({namespace: 'oclif-by-require', path: '@oclif/core'}))
    bundle.onLoad({filter: /.*/, namespace: 'oclif-by-require'}, () => ({
      contents: [
        "import {createRequire} from 'node:module'",
        "const oclif = createRequire(import.meta.url)('@oclif/core')",
        `export const {${OCLIF_EXPORTS.join(', ')}} = oclif`,
      ].join('\n'),
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

const entries = [
  ...commandFiles('dist/commands').map((file) => ({file, name: relative('dist', file).replace(/\.js$/, '')})),
  {file: 'dist/lib/kasm/early-read.js', name: 'lib/kasm/early-read.bundle'},
]

const results = await Promise.all(
  entries.map(({file, name}) =>
    build({
      allowOverwrite: true,
      bundle: true,
      chunkNames: `chunks/${name.replaceAll('/', '-')}/[name]-[hash]`,
      entryPoints: {[name]: file},
      format: 'esm',
      logLevel: 'warning',
      outdir: 'dist',
      packages: 'external',
      platform: 'node',
      plugins: [sharedEarlyAnswers, oclifByRequire],
      metafile: true,
      splitting: true,
      target: 'node20',
    }),
  ),
)

// A relative import, not a package.json "imports" alias: resolving one read package.json first, ~2 ms of every start.
for (const output of new Set(results.flatMap((result) => Object.keys(result.metafile.outputs)))) {
  const code = readFileSync(output, 'utf8')
  if (!code.includes(SHARED)) continue
  const path = relative(dirname(output), EARLY_ANSWERS)
  writeFileSync(output, code.replaceAll(`"${SHARED}"`, JSON.stringify(path.startsWith('.') ? path : `./${path}`)))
}
