import {expect} from 'chai'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {useSandbox} from '../../helpers/sandbox.js'
import {expectRefused, kasmctl, kasmctlJson, zoneNamed, zoneState} from './zone-cli.js'

const FILE = ['# reviewed in git', 'version: 1', 'zones:', '  enclave:', '    enclave: true', '    search_alternate_zones: false', '  west:', '    load_strategy: least-sessions', ''].join('\n')

describe('kasmctl zone apply', () => {
  let dir: string
  let path: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-zone-apply-'))
    path = join(dir, 'zones.yaml')
    await writeFile(path, FILE)
  })
  beforeEach(async () => {
    await (await useSandbox()).reset()
  })
  after(() => rm(dir, {force: true, recursive: true}))

  it('creates and updates to match the file; a second apply changes nothing', async () => {
    const first = await kasmctl(['zone', 'apply', '-f', path])
    expect(first.exitCode, first.stderr).to.equal(0)
    expect(first.stdout).to.include('~ zone enclave\n    search_alternate_zones: true → false\n+ zone west (new)')
    expect(first.stdout).to.include('done: update zone enclave (search_alternate_zones)\ndone: create zone west\n')
    expect((await zoneNamed('enclave'))!.search_alternate_zones).to.equal(false)
    expect((await zoneNamed('west'))!).to.include({load_strategy: 'least_kasms', proxy_hostname: '$request_host$'})

    const before = await zoneState()
    const second = await kasmctl(['zone', 'apply', '-f', path])
    expect(second.exitCode, second.stderr).to.equal(0)
    expect(second.stdout).to.equal('no changes: 2 zone(s) match the file\n')
    expect(await zoneState()).to.deep.equal(before)
  })

  it('--dry-run prints the plan and sends nothing', async () => {
    const before = await zoneState()
    const result = await kasmctl(['zone', 'apply', '-f', path, '--dry-run'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/\(dry run: nothing sent\)\n$/)
    expect(await zoneState()).to.deep.equal(before)
  })

  it('--json: {changed, dry_run, actions, unchanged}; reads the file from stdin with -f -', async () => {
    const result = await kasmctlJson<{actions: Array<{action: string; zone_name: string}>; changed: boolean; dry_run: boolean; unchanged: string[]}>(
      ['zone', 'apply', '-f', '-'],
      {input: FILE},
    )
    expect(result).to.deep.include({changed: true, dry_run: false, unchanged: []})
    expect(result.actions.map((a) => `${a.action} ${a.zone_name}`)).to.deep.equal(['update enclave', 'create west'])
  })

  it('--prune deletes the zones not in the file, after confirmation (refused off a terminal without --yes)', async () => {
    const sandbox = await useSandbox()
    const client = await sandbox.client()
    await client.createZone({zone_name: 'old'}).finally(() => client.close())
    const exported = (await kasmctl(['zone', 'export', 'default', 'east', 'enclave'])).stdout

    await expectRefused(['zone', 'apply', '-f', '-', '--prune'], 'Delete 1 zone(s) not in the file (old)? needs confirmation', {input: exported})
    const result = await kasmctl(['zone', 'apply', '-f', '-', '--prune', '--yes'], {input: exported})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.include('- zone old (not in the file; --prune)')
    expect(await zoneNamed('old')).to.equal(undefined)
  })

  it('a prune that Kasm refuses (zone in use) says what was done and what was not', async () => {
    const file = 'version: 1\nzones:\n  default: {}\n  enclave:\n    search_alternate_zones: false\n'
    const result = await kasmctl(['zone', 'apply', '-f', '-', '--prune', '--yes'], {input: file})
    expect(result.exitCode).to.equal(1)
    expect(result.stderr).to.include('zone apply stopped at "delete east": Kasm refused to delete zone east')
    expect(result.stderr).to.include('done: update enclave')
    expect(result.stderr).to.include('run the same `kasmctl zone apply` again')
    expect((await zoneNamed('enclave'))!.search_alternate_zones).to.equal(false)
  })

  it('refuses a file that is not YAML, or has unknown keys, wrong types or invalid values, before sending anything', async () => {
    await expectRefused(['zone', 'apply', '-f', '-'], /<stdin>:3:1: not valid YAML/, {input: 'zones: [\n  east: {}\n'})
    const result = await expectRefused(['zone', 'apply', '-f', '-'], 'zones file <stdin> has 3 problems; nothing was sent', {
      input: 'version: 1\nzones:\n  enclave:\n    search_alternate: false\n    proxy_port: "https"\n  west:\n    load_strategy: [1]\n',
    })
    expect(result.stderr).to.include('<stdin>:4:5: enclave: unknown key "search_alternate" (did you mean search_alternate_zones?)')
    expect(result.stderr).to.include('<stdin>:5:17: enclave.proxy_port: "https" is not a port')
    expect(result.stderr).to.include('<stdin>:7:20: west.load_strategy: [1] is not a load strategy')
    await expectRefused(['zone', 'apply', '-f', join(dir, 'missing.yaml')], 'cannot read zones file')
  })
})
