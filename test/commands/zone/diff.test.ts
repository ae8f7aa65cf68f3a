import {expect} from 'chai'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {useSandbox} from '../../helpers/sandbox.js'
import {kasmctl} from './zone-cli.js'

describe('kasmctl zone diff', () => {
  let dir: string
  before(async () => {
    await (await useSandbox()).reset()
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-zone-diff-'))
  })
  after(() => rm(dir, {force: true, recursive: true}))

  async function fileWith(name: string, text: string): Promise<string> {
    const path = join(dir, name)
    await writeFile(path, text)
    return path
  }

  it('exits 0 when Kasm matches the file (its own export)', async () => {
    const exported = await kasmctl(['zone', 'export'])
    const result = await kasmctl(['zone', 'diff', '--file', '-'], {input: exported.stdout})
    expect(result.exitCode, result.stderr).to.equal(0)
    // The export carries the zones' autoscale configs too (zones as code covers them).
    expect(result.stdout).to.equal('no changes: 3 zone(s) match the file\n= autoscale unchanged: east-autoscale, rdp-autoscale\n')
  })

  it('exits 1 and shows field by field what apply would change', async () => {
    const path = await fileWith('zones.yaml', 'version: 1\nzones:\n  enclave:\n    search_alternate_zones: false\n  west:\n    proxy_port: 0\n')
    const result = await kasmctl(['zone', 'diff', '-f', path])
    expect(result.exitCode, result.stderr).to.equal(1)
    expect(result.stdout).to.match(/^~ zone enclave\n {4}search_alternate_zones: true → false\n\+ zone west \(new\)\n/)
    expect(result.stdout).to.match(/^ {4}proxy_port: +- → 0$/m)
  })

  it('--prune shows the zones apply --prune would delete; --json: {changed, actions, unchanged} (docs/json.md)', async () => {
    const path = await fileWith('default-only.yaml', 'version: 1\nzones:\n  default: {}\n')
    const result = await kasmctl(['zone', 'diff', '-f', path, '--prune', '--json'])
    expect(result.exitCode).to.equal(1)
    const plan = JSON.parse(result.stdout)
    expect(plan.changed).to.equal(true)
    expect(plan.unchanged).to.deep.equal(['default'])
    expect(plan.actions.map((a: {action: string; zone_name: string}) => `${a.action} ${a.zone_name}`)).to.deep.equal(['delete east', 'delete enclave'])
    expect(Object.keys(plan.actions[0])).to.have.members(['action', 'zone_name', 'zone_id', 'changes'])
  })

  it('an invalid file exits 64 with line numbers; an unreachable API exits 69: errors are never 1', async () => {
    const bad = await fileWith('bad.yaml', 'version: 1\nzones:\n  east:\n    proxy_port: 70000\n')
    const invalid = await kasmctl(['zone', 'diff', '-f', bad])
    expect(invalid.exitCode).to.equal(64)
    expect(invalid.stderr).to.include(`${bad}:4:17: east.proxy_port: 70000 is not a port`)

    const sandbox = await useSandbox()
    await sandbox.fault({kind: 'api-down'})
    try {
      const down = await kasmctl(['zone', 'diff', '-f', bad.replace('bad', 'default-only')])
      expect(down.exitCode).to.equal(69)
    } finally {
      await sandbox.clearFaults()
    }
  })

  it('documents its exit codes in --help', async () => {
    const help = await kasmctl(['zone', 'diff', '--help'])
    expect(help.stdout).to.match(/EXIT CODES\n\s+0 +no differences\n\s+1 +differences found\n\s+2 +the diff could not be computed/)
  })
})
