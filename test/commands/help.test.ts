import {expect} from 'chai'

import {baseEnv, runCli} from '../helpers/cli.js'

describe('help', () => {
  it('kasmctl help zone prints the zone topic help, as kasmctl zone --help does', async () => {
    const help = await runCli(['help', 'zone'], {env: baseEnv()})
    expect(help.exitCode, help.stderr).to.equal(0)
    expect(help.stdout).to.match(/^Manage deployment zones, and zones as code/).and.include('zone list')
    expect(help.stdout).to.equal((await runCli(['zone', '--help'], {env: baseEnv()})).stdout)
  })

  it("kasmctl help zone list prints that command's help, as kasmctl zone list --help does", async () => {
    const help = await runCli(['help', 'zone', 'list'], {env: baseEnv()})
    expect(help.exitCode, help.stderr).to.equal(0)
    expect(help.stdout).to.match(/^List deployment zones/).and.include('EXIT CODES')
    expect(help.stdout).to.equal((await runCli(['zone', 'list', '--help'], {env: baseEnv()})).stdout)
  })

  it('kasmctl help: the overview; -n/--nested-commands lists the commands of every topic too', async () => {
    const overview = await runCli(['help'], {env: baseEnv()})
    expect(overview.stdout).to.include('TOPICS').and.include('help').and.include('autocomplete').and.not.include('zone list')
    const nested = await runCli(['help', '-n'], {env: baseEnv()})
    expect(nested.stdout).to.include('zone list').and.include('db logs purge')
    expect((await runCli(['help', '--nested-commands'], {env: baseEnv()})).stdout).to.equal(nested.stdout)
  })

  it('--json: the same text as a document', async () => {
    const json = await runCli(['help', 'zone', 'list', '--json'], {env: baseEnv()})
    expect(json.exitCode, json.stderr).to.equal(0)
    const text = (await runCli(['zone', 'list', '--help'], {env: baseEnv()})).stdout
    expect(JSON.parse(json.stdout)).to.deep.equal({help: text.replace(/\n$/, ''), subject: 'zone list'})
  })

  it('an unknown command or topic is a usage error (64) naming it, with what the topic offers', async () => {
    const unknown = await runCli(['help', 'nosuch'], {env: baseEnv()})
    expect(unknown).to.include({exitCode: 64, stdout: ''})
    expect(unknown.stderr).to.include('"nosuch" is not a kasmctl command')
    const json = await runCli(['help', 'zone', 'nosuch', '--json'], {env: baseEnv()})
    expect(json.exitCode).to.equal(64)
    expect(JSON.parse(json.stdout).error).to.include({code: 'USAGE', message: '"zone nosuch" is not a kasmctl command'})
    expect(JSON.parse(json.stdout).error.hint).to.include('zone list')
  })

  it('takes no context: --context is a usage error', async () => {
    const result = await runCli(['help', 'zone', '--context', 'lab'], {env: baseEnv()})
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('--context')
  })
})
