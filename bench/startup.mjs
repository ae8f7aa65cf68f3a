// Issue 2 §8: cold start of `kasmctl --version` against `node -e 0`, and `kasmctl zone list --json`
// against a minimal Node script making the same HTTP request, both measured in the same run.
import {mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'yaml'

import {CLI, ROOT, compare, startSandbox} from './lib.mjs'

export const name = 'startup'

export async function run() {
  const results = []
  const version = compare(['node', '-e', '0'], ['node', CLI, '--version'])
  results.push({baseline: 'node -e 0', metric: 'kasmctl --version', ...version, target: 4.5})
  // What oclif itself costs on this machine: a one-command oclif 4 CLI, same node_modules.
  const bare = bareOclifCli()
  try {
    const overhead = compare(['node', bare.bin, '--version'], ['node', CLI, '--version'])
    results.push({baseline: 'a bare one-command oclif 4 CLI', metric: 'kasmctl --version', ...overhead, target: 1.1})
    const bareVersion = compare(['node', '-e', '0'], ['node', bare.bin, '--version'])
    results.push({baseline: 'node -e 0', metric: 'bare oclif 4 CLI --version (reference)', ...bareVersion})
  } finally {
    bare.remove()
  }

  const sandbox = startSandbox()
  try {
    const config = parse(readFileSync(sandbox.env.KASMCTL_CONFIG, 'utf8'))
    const context = config.contexts.find((c) => c.name === 'sandbox')
    const script = join(sandbox.dir, 'minimal-get-zones.mjs')
    writeFileSync(script, minimalClient(context))
    const zoneList = compare(['node', script], ['node', CLI, 'zone', 'list', '--json'], {env: sandbox.env})
    results.push({baseline: 'minimal node:https script', metric: 'kasmctl zone list --json', ...zoneList, target: 1.5})
  } finally {
    sandbox.stop()
  }

  return results
}

/** A minimal oclif 4 CLI (one command, nothing else) sharing kasmctl's node_modules. */
function bareOclifCli() {
  const dir = mkdtempSync(join(tmpdir(), 'kasmctl-bare-oclif-'))
  mkdirSync(join(dir, 'commands'))
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'))
  writeFileSync(join(dir, 'package.json'), JSON.stringify({name: 'bare', oclif: {bin: 'bare', commands: './commands', dirname: 'bare'}, type: 'module', version: '1.0.0'}))
  writeFileSync(join(dir, 'commands', 'hello.js'), "import {Command} from '@oclif/core'\nexport default class Hello extends Command { async run() { this.log('hello') } }\n")
  writeFileSync(join(dir, 'run.js'), "import {execute} from '@oclif/core'\nawait execute({dir: import.meta.url})\n")
  return {bin: join(dir, 'run.js'), remove: () => rmSync(dir, {force: true, recursive: true})}
}

/** The least a program can do to list zones: one HTTPS POST with node:https, print the JSON. */
function minimalClient(context) {
  const secret = readFileSync(context.api.secret.file, 'utf8').trim()
  const ca = context.api.tls?.caFile ? readFileSync(context.api.tls.caFile, 'utf8') : undefined
  return `import {request} from 'node:https'
const body = JSON.stringify(${JSON.stringify({api_key: context.api.key, api_key_secret: secret})})
const req = request(new URL('/api/public/get_zones', ${JSON.stringify(context.api.url)}), {ca: ${JSON.stringify(ca)}, headers: {'Content-Type': 'application/json'}, method: 'POST'}, (res) => {
  let data = ''
  res.on('data', (c) => (data += c))
  res.on('end', () => console.log(JSON.stringify(JSON.parse(data), null, 2)))
})
req.end(body)
`
}
