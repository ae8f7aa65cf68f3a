import {expect} from 'chai'
import {chmod, mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {addContext, parseHostSpec, removeContext, useContext} from '../../../src/lib/config/contexts.js'
import {configPath} from '../../../src/lib/config/paths.js'
import {loadConfig, saveConfig} from '../../../src/lib/config/store.js'
import {ConfigError, UsageError} from '../../../src/lib/errors.js'

describe('config store', () => {
  let dir: string
  let path: string

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-config-'))
    path = join(dir, 'kasmctl', 'config.yaml')
  })
  afterEach(async () => rm(dir, {force: true, recursive: true}))

  it('lives at $KASMCTL_CONFIG, else $XDG_CONFIG_HOME/kasmctl/config.yaml', () => {
    expect(configPath({KASMCTL_CONFIG: '/x/c.yaml', XDG_CONFIG_HOME: '/y'})).to.equal('/x/c.yaml')
    expect(configPath({XDG_CONFIG_HOME: '/y'})).to.equal('/y/kasmctl/config.yaml')
  })

  it('treats a missing file as an empty config', async () => {
    const loaded = await loadConfig(path)
    expect(loaded.file).to.deep.equal({contexts: []})
  })

  it('writes the file with mode 0600 and reads back what it wrote', async () => {
    const loaded = await loadConfig(path)
    addContext(loaded, {api: {key: 'k', secret: {value: 's3cret'}, url: 'https://kasm.example.com'}, name: 'prod'}, {})
    await saveConfig(loaded)
    expect((await stat(path)).mode & 0o777).to.equal(0o600)
    const again = await loadConfig(path)
    expect(again.file.currentContext).to.equal('prod')
    expect(again.file.contexts[0].api.url).to.equal('https://kasm.example.com')
    expect(again.permissionWarning).to.equal(undefined)
  })

  it('warns, naming chmod 600, when the file is readable by group or others', async () => {
    const loaded = await loadConfig(path)
    addContext(loaded, {api: {url: 'https://k'}, name: 'a'}, {})
    await saveConfig(loaded)
    await chmod(path, 0o644)
    const again = await loadConfig(path)
    expect(again.permissionWarning).to.include(`chmod 600 ${path}`)
  })

  it('rejects a file that is not YAML, naming the file', async () => {
    await writeFile(path.replace('kasmctl/config.yaml', 'bad.yaml'), 'contexts: [\n')
    const error = await loadConfig(path.replace('kasmctl/config.yaml', 'bad.yaml')).catch((e) => e)
    expect(error).to.be.instanceOf(ConfigError)
    expect(error.message).to.include('not valid YAML')
  })

  it('rejects an unknown auth style or host role with the valid values', async () => {
    const bad = join(dir, 'bad.yaml')
    await writeFile(bad, 'contexts:\n  - name: a\n    api: {url: "https://k", auth: token}\n')
    expect((await loadConfig(bad).catch((e) => e)).message).to.equal(`config file ${bad}: contexts[0].api.auth expected one of body, basic or headers, got "token"`)
    await writeFile(bad, 'contexts:\n  - name: a\n    api: {url: "https://k"}\n    hosts: [{name: h, roles: [web]}]\n')
    expect((await loadConfig(bad).catch((e) => e)).message).to.include('contexts[0].hosts[0].roles[0] expected one of webapp, agent, db, connection-proxy or proxy, got "web"')
  })

  it('checks the whole file against one schema, naming the file, the key path and the expected type', async () => {
    const bad = join(dir, 'typed.yaml')
    const context = (extra: string) => `contexts:\n  - name: lab\n    api: {url: "https://k"}\n${extra}`
    const cases: Array<[string, string]> = [
      [context('    hosts: 5\n'), 'contexts[0].hosts expected a list, got 5'],
      [context('    hosts: [{name: h, roles: [db], kasmRoot: 5}]\n'), 'contexts[0].hosts[0].kasmRoot expected a string, got 5'],
      [context('    proxies: 5\n'), 'contexts[0].proxies expected a list, got 5'],
      ['contexts:\n  - name: lab\n    api: {url: "ftp://k"}\n', 'contexts[0].api.url "ftp://k" must use http or https, not ftp'],
      [context('    database: {url: "postgres://kasmapp:hunter2@db/kasm"}\n'), 'contexts[0].database.url "postgres://kasmapp:***@db/kasm" must not carry a password'],
      [context('    database: {url: "postgres://kasmapp@db/kasm?sslmode=on"}\n'), 'contexts[0].database.url "postgres://kasmapp@db/kasm?sslmode=on" has sslmode "on", not one of disable, prefer, require, verify-ca or verify-full'],
      [context('    backup: {dir: /b, keep: many}\n'), 'contexts[0].backup.keep expected a whole number, got "many"'],
      ['contexts:\n  - name: ".."\n    api: {url: "https://k"}\n', 'contexts[0].name ".." is not a valid context name'],
      [`contexts:\n  - name: ${'x'.repeat(300)}\n    api: {url: "https://k"}\n`, 'contexts[0].name "xxxx'],
      ['contexts: {lab: 1}\n', 'contexts expected a list, got a mapping'],
      ['- 1\n', '(top level) expected a mapping, got a list'],
      [context('  - name: lab\n    api: {url: "https://k2"}\n'), 'contexts name "lab" is used by two contexts'],
    ]
    for (const [yaml, expected] of cases) {
      await writeFile(bad, yaml, {mode: 0o600})
      const error = await loadConfig(bad).catch((e) => e)
      expect(error, yaml).to.be.instanceOf(ConfigError)
      expect(error.message, yaml).to.include(`config file ${bad}: ${expected}`)
      expect(error.message, yaml).to.not.include('hunter2')
    }
  })

  it('keeps the current context when adding another, unless asked', async () => {
    const loaded = await loadConfig(path)
    addContext(loaded, {api: {url: 'https://a'}, name: 'a'}, {})
    addContext(loaded, {api: {url: 'https://b'}, name: 'b'}, {})
    expect(loaded.file.currentContext).to.equal('a')
    addContext(loaded, {api: {url: 'https://c'}, name: 'c'}, {use: true})
    expect(loaded.file.currentContext).to.equal('c')
  })

  it('refuses to replace a context unless overwrite is given', async () => {
    const loaded = await loadConfig(path)
    addContext(loaded, {api: {url: 'https://a'}, name: 'a'}, {})
    expect(() => addContext(loaded, {api: {url: 'https://a2'}, name: 'a'}, {})).to.throw(UsageError, 'already exists')
    addContext(loaded, {api: {url: 'https://a2'}, name: 'a'}, {overwrite: true})
    expect(loaded.file.contexts).to.have.length(1)
    expect(loaded.file.contexts[0].api.url).to.equal('https://a2')
  })

  it('rejects URLs that are not http(s) or that carry credentials', async () => {
    const loaded = await loadConfig(path)
    expect(() => addContext(loaded, {api: {url: 'ftp://k'}, name: 'a'}, {})).to.throw(UsageError, 'must use http or https')
    expect(() => addContext(loaded, {api: {url: 'nope'}, name: 'a'}, {})).to.throw(UsageError, 'is not a URL')
    expect(() => addContext(loaded, {api: {url: 'https://u:p@k'}, name: 'a'}, {})).to.throw('must not carry credentials')
  })

  it('use and remove name the known contexts when the name is wrong', async () => {
    const loaded = await loadConfig(path)
    addContext(loaded, {api: {url: 'https://a'}, name: 'a'}, {})
    expect(() => useContext(loaded, 'zz')).to.throw('context "zz" does not exist')
    removeContext(loaded, 'a')
    expect(loaded.file.currentContext).to.equal(undefined)
    expect(loaded.file.contexts).to.deep.equal([])
  })

  it('parses inventory host specs and rejects bad roles and keys', () => {
    expect(parseHostSpec('name=web1,address=10.0.0.5,roles=webapp+db,ssh=root@10.0.0.5,kasm-root=/srv/kasm')).to.deep.equal({
      address: '10.0.0.5',
      kasmRoot: '/srv/kasm',
      name: 'web1',
      roles: ['webapp', 'db'],
      ssh: 'root@10.0.0.5',
      url: undefined,
    })
    expect(() => parseHostSpec('name=a,roles=web')).to.throw('role "web" is not one of')
    expect(() => parseHostSpec('name=a,roles=db,colour=red')).to.throw('unknown key "colour"')
    expect(() => parseHostSpec('roles=db')).to.throw('name= is required')
  })

  it('does not leave a temporary file behind after saving', async () => {
    const loaded = await loadConfig(path)
    addContext(loaded, {api: {url: 'https://a'}, name: 'a'}, {})
    await saveConfig(loaded)
    const {readdir} = await import('node:fs/promises')
    expect(await readdir(join(dir, 'kasmctl'))).to.deep.equal(['config.yaml'])
    expect(await readFile(path, 'utf8')).to.include('currentContext: a')
  })
})
