import {existsSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

const HERE = fileURLToPath(import.meta.url)
/** Running from the TypeScript sources (bin/dev.js, the tests) or from the build. */
const FROM_SOURCES = HERE.endsWith('.ts')

/**
 * A file shipped with kasmctl, by its path under src/ (under dist/ once built), found from the
 * package root: a bundled command (scripts/bundle.mjs) runs from another directory than the module
 * it was built from, so `import.meta.url` no longer points beside its assets.
 */
export function shippedFile(relative: string): string {
  return join(packageRoot(), FROM_SOURCES ? 'src' : 'dist', relative)
}

/** A module run as its own process (the sandbox daemon, the simulator): its path, .ts or .js as kasmctl runs. */
export function shippedModule(relativeWithoutExtension: string): string {
  return shippedFile(`${relativeWithoutExtension}.${FROM_SOURCES ? 'ts' : 'js'}`)
}

function packageRoot(): string {
  let dir = dirname(HERE)
  while (!existsSync(join(dir, 'package.json'))) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no package.json above ${HERE}: kasmctl is not installed whole`)
    dir = parent
  }

  return dir
}
