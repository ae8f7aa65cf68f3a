#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (tsx is loaded by the shebang), no build needed.
import {execute} from '@oclif/core'
import {readFileSync} from 'node:fs'

const root = new URL('..', import.meta.url).pathname
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif = {...pjson.oclif, commands: './src/commands', helpClass: './src/help.ts'}
// oclif reads a built oclif.manifest.json (pointing into dist/) whenever its version matches the
// package's, and does not pass ignoreManifest to the root plugin: a dev version makes it list src/.
pjson.version = `0.0.0-dev`
const emitWarning = process.emitWarning.bind(process)
process.emitWarning = (warning, ...rest) => {
  if (!String(warning).startsWith('Mismatched version in kasmctl plugin manifest')) emitWarning(warning, ...rest)
}

await execute({dir: import.meta.url, loadOptions: {pjson, root}})
