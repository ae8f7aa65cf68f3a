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

  /**
   * Whether `kasmctl context show` loaded the `yaml` library, seen in Node's module cache at exit: the bundles require()
   * packages (scripts/bundle.mjs), and an import() of the CommonJS `yaml` puts its files there too.
   */
  async function yamlLoadsOf(config: string): Promise<string> {
    const path = join(dir, 'config.yaml')
    await writeFile(path, config, {mode: 0o600})
    const preload = join(dir, 'watch-yaml.cjs')
    await writeFile(
      preload,
      `process.on('exit', () => { if (Object.keys(require('node:module')._cache).some((file) => file.includes('/node_modules/yaml/'))) require('node:fs').writeSync(2, 'LOADED yaml\\n') })\n`,
    )
    const {stderr} = await run(process.execPath, ['--require', preload, join(ROOT, 'bin', 'run.js'), 'context', 'show', '--json'], {
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
