import {expect} from 'chai'
import {mkdtemp, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {baseEnv, runCli} from '../../helpers/cli.js'

describe('kasmctl context', () => {
  let dir: string
  let env: NodeJS.ProcessEnv
  let configFile: string
  const secret = 'Sup3r-Secret-Value'

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-context-'))
    configFile = join(dir, 'config.yaml')
    env = baseEnv({KASMCTL_CONFIG: configFile})
  })
  after(async () => rm(dir, {force: true, recursive: true}))

  it('adds a context with the secret from stdin, writes the file 0600 and makes it current', async () => {
    const result = await runCli(
      ['context', 'add', 'prod', '--api-url', 'https://kasm.example.com', '--api-key', 'AbCdEf123456', '--api-secret-stdin', '--json'],
      {env, input: `${secret}\n`},
    )
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout)).to.deep.equal({current: true, dryRun: false, name: 'prod', path: configFile})
    expect((await stat(configFile)).mode & 0o777).to.equal(0o600)
    expect(await readFile(configFile, 'utf8')).to.include('currentContext: prod')
  })

  it('never prints the secret: show and list describe where it comes from', async () => {
    const show = await runCli(['context', 'show', '--json'], {env})
    const list = await runCli(['context', 'list'], {env})
    expect(show.stdout + show.stderr + list.stdout + list.stderr).to.not.include(secret)
    expect(JSON.parse(show.stdout)).to.include({apiKey: 'AbCdEf123456', apiSecret: '(stored in config)', apiUrl: 'https://kasm.example.com', current: true, name: 'prod'})
    expect(list.stdout).to.match(/\*\s+prod\s+https:\/\/kasm\.example\.com/)
  })

  it('keeps the current context when another is added, and switches with `use`', async () => {
    await runCli(['context', 'add', 'lab', '--api-url', 'https://lab', '--api-key', 'k', '--api-secret-env', 'LAB_SECRET', '--insecure'], {env})
    expect(JSON.parse((await runCli(['context', 'current', '--json'], {env})).stdout)).to.include({name: 'prod', source: 'current-context'})
    const use = await runCli(['context', 'use', 'lab'], {env})
    expect(use.stdout).to.include('Switched to context "lab"')
    const current = await runCli(['context', 'current', '--json'], {env})
    expect(JSON.parse(current.stdout)).to.include({name: 'lab'})
    expect(current.stderr).to.include('skips TLS certificate verification')
  })

  it('selects per command with --context and KASMCTL_CONTEXT', async () => {
    expect(JSON.parse((await runCli(['context', 'current', '--json', '--context', 'prod'], {env})).stdout).source).to.equal('flag')
    const viaEnv = await runCli(['context', 'current', '--json'], {env: {...env, KASMCTL_CONTEXT: 'prod'}})
    expect(JSON.parse(viaEnv.stdout)).to.include({name: 'prod', source: 'KASMCTL_CONTEXT'})
  })

  it('runs with no config file at all from KASMCTL_API_URL', async () => {
    const result = await runCli(['context', 'current', '-o', 'yaml'], {env: baseEnv({KASMCTL_API_KEY: 'k', KASMCTL_API_SECRET: 's', KASMCTL_API_URL: 'https://ci', KASMCTL_CONFIG: join(dir, 'none.yaml')})})
    expect(result.stdout).to.include('source: env')
  })

  it('--auth basic warns that only newer Kasm reads HTTP Basic (1.15 answers 400 "Invalid Request")', async () => {
    const basic = await runCli(['context', 'add', 'basic-lab', '--api-url', 'https://lab', '--api-key', 'k', '--api-secret-env', 'LAB_SECRET', '--auth', 'basic'], {env})
    expect(basic.exitCode, basic.stderr).to.equal(0)
    expect(basic.stderr).to.include('Warning: --auth basic: only newer Kasm versions read HTTP Basic').and.include('--auth body')
    const body = await runCli(['context', 'add', 'body-lab', '--api-url', 'https://lab', '--api-key', 'k', '--api-secret-env', 'LAB_SECRET'], {env})
    expect(body.stderr).to.not.include('HTTP Basic')
  })

  it('refuses to prompt for the secret when stdin is not a terminal (exit 64, nothing written)', async () => {
    const before = await readFile(configFile, 'utf8')
    const result = await runCli(['context', 'add', 'x', '--api-url', 'https://x', '--api-key', 'k'], {env})
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('--api-secret-stdin')
    expect(await readFile(configFile, 'utf8')).to.equal(before)
  })

  it('rejects bad input with exit 64 naming the value and the valid ones', async () => {
    const auth = await runCli(['context', 'add', 'x', '--api-url', 'https://x', '--api-key', 'k', '--api-secret-env', 'S', '--auth', 'token'], {env})
    expect(auth.exitCode).to.equal(64)
    expect(auth.stderr).to.include('token')
    const url = await runCli(['context', 'add', 'x', '--api-url', 'kasm.example.com', '--api-key', 'k', '--api-secret-env', 'S', '--json'], {env})
    expect(url.exitCode).to.equal(64)
    expect(JSON.parse(url.stdout).error).to.include({code: 'USAGE', exitCode: 64})
    expect(JSON.parse(url.stdout).error.message).to.include('"kasm.example.com" is not a URL')
    const unknown = await runCli(['context', 'use', 'nope'], {env})
    expect(unknown.exitCode).to.equal(64)
    expect(unknown.stderr).to.include('context "nope" does not exist')
  })

  it('rejects what can never work, naming the flag and the value, and saves nothing', async () => {
    const before = await readFile(configFile, 'utf8')
    const pem = join(dir, 'not-a-cert.pem')
    await writeFile(pem, 'hello\n')
    const add = (name: string, ...flags: string[]) => ['context', 'add', name, '--api-url', 'https://x', '--json', ...(flags.includes('--api-key') ? [] : ['--api-key', 'k']), ...flags]
    const cases: Array<[string[], string]> = [
      [add('x', '--api-key', '', '--api-secret-env', 'S'), '--api-key "" must not be empty'],
      [add('x', '--api-secret-file', join(dir, 'missing')), `--api-secret-file ${join(dir, 'missing')} does not exist`],
      [add('x', '--api-secret-file', dir), `--api-secret-file ${dir} is not a regular file`],
      [add('x', '--api-secret-env', 'NOT-A-NAME'), '--api-secret-env "NOT-A-NAME" is not an environment variable name'],
      [add('x', '--api-secret-env', 'S', '--ca-file', join(dir, 'missing.pem')), `--ca-file ${join(dir, 'missing.pem')} does not exist`],
      [add('x', '--api-secret-env', 'S', '--ca-file', pem), `--ca-file ${pem} holds no PEM certificate`],
      [add('x', '--api-secret-env', 'S', '--db-url', 'notaurl'), '--db-url "notaurl" is not a URL'],
      [add('x', '--api-secret-env', 'S', '--db-url', 'mysql://db/kasm'), '--db-url "mysql://db/kasm" must be a postgres:// URL, not mysql'],
      [add('x', '--api-secret-env', 'S', '--db-url', 'postgres://db/kasm?sslmode=true'), '--db-url "postgres://db/kasm?sslmode=true" has sslmode "true", not one of disable, prefer, require, verify-ca or verify-full'],
      [add('x', '--api-secret-env', 'S', '--db-url', 'postgres://kasmapp:hunter2@db/kasm'), '--db-url "postgres://kasmapp:***@db/kasm" must not carry a password (it would be stored and shown in plain text): use --db-password-env or --db-password-file'],
      [add('x', '--api-secret-env', 'S', '--db-url', 'postgres://db/kasm', '--db-password-env', 'P', '--db-password-file', pem), '--db-password-file'],
      [add('x', '--api-secret-env', 'S', '--backup-dir', ''), '--backup-dir "" must not be empty'],
      [add('x', '--api-secret-env', 'S', '--default-zone', ''), '--default-zone "" must not be empty'],
      [add('.', '--api-secret-env', 'S'), 'context name "." is not a valid context name'],
      [add('..', '--api-secret-env', 'S'), 'context name ".." is not a valid context name'],
      [add('x'.repeat(10_000), '--api-secret-env', 'S'), 'is 10000 characters long: at most 63'],
    ]
    for (const [argv, expected] of cases) {
      const result = await runCli(argv, {env})
      expect(result.exitCode, argv.join(' ')).to.equal(64)
      const {error} = JSON.parse(result.stdout)
      expect(error.code, argv.join(' ')).to.be.oneOf(['USAGE'])
      expect(error.message, argv.join(' ')).to.include(expected).and.not.include('hunter2')
    }

    expect(await readFile(configFile, 'utf8')).to.equal(before)
  })

  it('removes a context and says when none is current any more', async () => {
    const result = await runCli(['context', 'remove', 'lab', '--json'], {env})
    expect(JSON.parse(result.stdout)).to.deep.equal({current: null, dryRun: false, removed: 'lab'})
    const current = await runCli(['context', 'current'], {env})
    expect(current.exitCode).to.equal(64)
    expect(current.stderr).to.include('kasmctl context use NAME')
  })

  it('documents examples and exit codes in --help', async () => {
    const help = await runCli(['context', 'add', '--help'], {env})
    expect(help.stdout).to.include('EXAMPLES').and.include('EXIT CODES').and.include('64  usage error')
  })
})
