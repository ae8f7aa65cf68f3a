import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'
import {promisify} from 'node:util'
import {stringify} from 'yaml'

import {loadConfig} from '../../../src/lib/config/store.js'

const run = promisify(execFile)
const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))

/** Reading a context is on every API command's start: it must not load the `yaml` library unless it has to. */
describe('reading the config file', () => {
  let dir: string

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-config-reader-'))
  })
  after(async () => rm(dir, {force: true, recursive: true}))

  const context = {api: {key: 'k', secret: {env: 'S'}, url: 'https://kasm.example.com'}, name: 'prod'}

  /** The modules named `yaml` that `kasmctl context show` resolves, seen by a module resolve hook. */
  async function yamlLoadsOf(config: string): Promise<string> {
    const path = join(dir, 'config.yaml')
    await writeFile(path, config, {mode: 0o600})
    // Node 22+ runs the hooks on a thread of their own, whose process.stderr output can be lost at exit: write to fd 2 directly.
    const hook = `import {writeSync} from 'node:fs'; export async function resolve(specifier, context, next) { if (specifier === 'yaml') writeSync(2, 'LOADED yaml\\n'); return next(specifier, context) }`
    const register = `import {register} from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(hook)}`)})`
    const {stderr} = await run(process.execPath, ['--import', `data:text/javascript,${encodeURIComponent(register)}`, join(ROOT, 'bin', 'run.js'), 'context', 'show', '--json'], {
      env: {HOME: dir, KASMCTL_CONFIG: path, PATH: process.env.PATH},
    })
    return stderr
  }

  it('reads a config that kasmctl wrote without loading `yaml`', async () => {
    expect(await yamlLoadsOf(stringify({contexts: [context], currentContext: 'prod'}))).not.to.include('LOADED yaml')
  })

  it('falls back to `yaml` for YAML outside the fast reader (anchors), with the same result', async () => {
    expect(await yamlLoadsOf('currentContext: prod\ndefaults: &api {key: k, secret: {env: S}, url: "https://kasm.example.com"}\ncontexts:\n  - name: prod\n    api: *api\n')).to.include('LOADED yaml')
    const path = join(dir, 'anchors.yaml')
    await writeFile(path, 'contexts:\n  - &prod\n    name: prod\n    api: {key: k, url: "https://kasm.example.com"}\ncurrentContext: prod\n', {mode: 0o600})
    expect((await loadConfig(path)).file).to.deep.equal({contexts: [{api: {key: 'k', url: 'https://kasm.example.com'}, name: 'prod'}], currentContext: 'prod'})
  })
})
