import {expect} from 'chai'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {resolveContext} from '../../../src/lib/config/resolve.js'
import {resolveSecret} from '../../../src/lib/config/secrets.js'
import {ConfigError, UsageError} from '../../../src/lib/errors.js'

describe('context selection', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  const saved = process.env.KASMCTL_CONFIG

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-resolve-'))
    await writeFile(
      join(dir, 'config.yaml'),
      ['currentContext: a', 'contexts:', '  - {name: a, api: {url: "https://a"}}', '  - {name: b, api: {url: "https://b", tls: {insecure: true}}}'].join('\n'),
      {mode: 0o600},
    )
    process.env.KASMCTL_CONFIG = join(dir, 'config.yaml')
  })
  after(async () => {
    if (saved === undefined) delete process.env.KASMCTL_CONFIG
    else process.env.KASMCTL_CONFIG = saved
    await rm(dir, {force: true, recursive: true})
  })
  beforeEach(() => {
    env = {}
  })

  it('uses the current context by default', async () => {
    const {context, source} = await resolveContext(undefined, env)
    expect([context.name, source]).to.deep.equal(['a', 'current-context'])
  })

  it('prefers KASMCTL_CONTEXT over the current context, and --context over both', async () => {
    env.KASMCTL_CONTEXT = 'b'
    expect((await resolveContext(undefined, env)).context.name).to.equal('b')
    expect((await resolveContext('a', env)).source).to.equal('flag')
  })

  it('builds a context from KASMCTL_API_URL/KEY/SECRET when no context is named', async () => {
    env.KASMCTL_API_URL = 'https://ci.example.com'
    env.KASMCTL_API_KEY = 'key'
    env.KASMCTL_API_SECRET = 'secret'
    const {context, source} = await resolveContext(undefined, env)
    expect(source).to.equal('env')
    expect(context.api).to.include({key: 'key', url: 'https://ci.example.com'})
    expect(await resolveSecret(context.api.secret, 'secret', env)).to.equal('secret')
  })

  it('warns on every use of a context that skips TLS verification', async () => {
    const {warnings} = await resolveContext('b', env)
    expect(warnings.join('\n')).to.include('skips TLS certificate verification')
  })

  it('names the known contexts when the requested one is missing', async () => {
    const error = await resolveContext('nope', env).catch((e) => e)
    expect(error.message).to.equal('context "nope" does not exist')
    expect(error.hint).to.include('a or b')
  })

  it('says how to start when nothing is configured', async () => {
    process.env.KASMCTL_CONFIG = join(dir, 'missing.yaml')
    try {
      const error = await resolveContext(undefined, env).catch((e) => e)
      expect(error).to.be.instanceOf(ConfigError)
      expect(error.hint).to.include('kasmctl context add')
    } finally {
      process.env.KASMCTL_CONFIG = join(dir, 'config.yaml')
    }
  })

  it('names a KASMCTL_API_URL that is not an http(s) URL, credentials masked', async () => {
    for (const [url, expected] of [
      ['notaurl', 'KASMCTL_API_URL "notaurl" is not a URL'],
      ['ftp://kasm', 'KASMCTL_API_URL "ftp://kasm" must use http or https, not ftp'],
      ['https://admin:hunter2@kasm', 'KASMCTL_API_URL "https://admin:***@kasm" must not carry credentials'],
    ]) {
      const error = await resolveContext(undefined, {KASMCTL_API_URL: url}).catch((e) => e)
      expect(error, url).to.be.instanceOf(UsageError)
      expect(error.message, url).to.include(expected).and.not.include('hunter2')
    }
  })

  it('resolves secrets from env and file references, naming what is missing', async () => {
    await writeFile(join(dir, 'secret'), 'from-file\n')
    expect(await resolveSecret({file: join(dir, 'secret')}, 'x', env)).to.equal('from-file')
    expect(await resolveSecret({env: 'S'}, 'x', {S: 'from-env'})).to.equal('from-env')
    const error = await resolveSecret({env: 'UNSET_VAR'}, 'API secret', {}).catch((e) => e)
    expect(error.message).to.include('UNSET_VAR, which is not set')
  })
})
