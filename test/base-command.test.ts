import {expect} from 'chai'
import {readFile} from 'node:fs/promises'

import {runCli} from './helpers/cli.js'
import {useSandbox} from './helpers/sandbox.js'

describe('every command (the base command)', () => {
  it('--verbose writes debug lines to stderr and never the API secret', async () => {
    const sandbox = await useSandbox()
    const secret = (await readFile(sandbox.state.apiKeys.admin.secretFile, 'utf8')).trim()
    const result = await runCli(['zone', 'list', '--verbose', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stderr).to.match(/\[debug\] POST https:\/\/127\.0\.0\.1:\d+\/api\/public\/get_zones -> HTTP 200/)
    expect(result.stdout + result.stderr).to.not.include(secret)
    expect(JSON.parse(result.stdout).zones).to.have.length(3)
  })

  it('exits 64 on an unknown flag, never oclif\'s default 2, and says so in JSON too', async () => {
    const sandbox = await useSandbox()
    const human = await runCli(['zone', 'list', '--bogus'], {env: sandbox.env})
    expect(human.exitCode).to.equal(64)
    expect(human.stderr).to.include('Nonexistent flag: --bogus')
    const json = await runCli(['zone', 'list', '--bogus', '--json'], {env: sandbox.env})
    expect(json.exitCode).to.equal(64)
    expect(JSON.parse(json.stdout).error).to.include({code: 'USAGE', exitCode: 64})
  })

  it('-o yaml prints the same document as --json', async () => {
    const sandbox = await useSandbox()
    const {parse} = await import('yaml')
    const yaml = await runCli(['context', 'current', '-o', 'yaml'], {env: sandbox.env})
    const json = await runCli(['context', 'current', '--json'], {env: sandbox.env})
    expect(parse(yaml.stdout)).to.deep.equal(JSON.parse(json.stdout))
  })

  it('--json prints the document indented by two spaces, as oclif does, without tokenizing it for colours it has none of', async () => {
    const sandbox = await useSandbox()
    const json = await runCli(['zone', 'list', '--json'], {env: sandbox.env})
    expect(json.stdout).to.equal(`${JSON.stringify(JSON.parse(json.stdout), null, 2)}\n`)
  })
})
