// Bundles each command, and the early reads bin/run.js starts with, from dist/ (tsc's output) into
// one file per command plus the chunks it loads lazily. On Node 20, which has no compile cache, each
// ES module costs ~0.5 ms to resolve, read and compile: `zone list` loaded ~20 of them, the early
// reads ~20 more (bench/startup.mjs). One build per command keeps its lazily loaded parts (pg,
// listr2, prompts...) in chunks of their own, as the modules were.
//
// Within one process every module then comes from one build, except early-answers.js: the early
// reads and the command share it through the "#early-answers" import of package.json, and pass
// only plain data through it (each build has its own copy of the classes). help.js, the hooks and
// the sandbox's own processes stay as tsc wrote them.
import {build} from 'esbuild'
import {readdirSync, statSync} from 'node:fs'
import {join, relative} from 'node:path'

const sharedEarlyAnswers = {
  name: 'shared-early-answers',
  setup(bundle) {
    bundle.onResolve({filter: /\/early-answers\.js$/}, () => ({external: true, path: '#early-answers'}))
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

await Promise.all(
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
      plugins: [sharedEarlyAnswers],
      splitting: true,
      target: 'node20',
    }),
  ),
)
