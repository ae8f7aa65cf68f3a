import {expect} from 'chai'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {parse} from 'yaml'

import {baseEnv, runCli} from '../../helpers/cli.js'

/** `context add --reverse-proxy` (a Kasm reverse proxy checked by health) is not a forward proxy, and says so. */
describe('kasmctl context add --reverse-proxy', () => {
  let dir: string
  let env: NodeJS.ProcessEnv

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-reverse-proxy-'))
    env = baseEnv({KASMCTL_CONFIG: join(dir, 'config.yaml'), LAB_SECRET: 's'})
  })
  after(async () => rm(dir, {force: true, recursive: true}))

  const add = (name: string, ...flags: string[]) =>
    runCli(['context', 'add', name, '--api-url', 'https://kasm.lab', '--api-key', 'k', '--api-secret-env', 'LAB_SECRET', ...flags], {env})

  async function proxiesOf(name: string): Promise<string[]> {
    const file = parse(await readFile(join(dir, 'config.yaml'), 'utf8')) as {contexts: Array<{name: string; proxies?: string[]}>}
    return file.contexts.find((c) => c.name === name)!.proxies!
  }

  it('stores each --reverse-proxy URL for health', async () => {
    const result = await add('lab', '--reverse-proxy', 'https://lb1.lab', '--reverse-proxy', 'https://lb2.lab')
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stderr).to.equal('')
    expect(await proxiesOf('lab')).to.deep.equal(['https://lb1.lab', 'https://lb2.lab'])
  })

  it('still accepts the old --proxy, with a deprecation warning naming --reverse-proxy', async () => {
    const result = await add('old', '--proxy', 'https://lb.lab')
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stderr).to.match(/--proxy.*deprecated.*--reverse-proxy/s)
    expect(await proxiesOf('old')).to.deep.equal(['https://lb.lab'])
  })

  it('explains in --help that --ca-file replaces the system CAs and NODE_EXTRA_CA_CERTS', async () => {
    const help = (await runCli(['context', 'add', '--help'], {env})).stdout.replaceAll(/\s+/g, ' ')
    expect(help).to.include('--reverse-proxy=<value>...').and.include('not a forward proxy')
    expect(help).to.include('REPLACES the system CAs and NODE_EXTRA_CA_CERTS')
  })
})
