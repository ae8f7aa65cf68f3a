#!/usr/bin/env -S node --import tsx
// Runs the TypeScript sources directly (tsx is loaded by the shebang), no build needed.
import {execute} from '@oclif/core'
import {readFileSync} from 'node:fs'

const root = new URL('..', import.meta.url).pathname
const pjson = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
pjson.oclif = {...pjson.oclif, commands: './src/commands', helpClass: './src/help.ts'}

await execute({dir: import.meta.url, loadOptions: {ignoreManifest: true, pjson, root}})
