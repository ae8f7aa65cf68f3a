import {expect} from 'chai'
import {mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

describe('backup create', function () {
  this.timeout(120_000)
  let sandbox: TestSandbox
  let dest: string

  before(async () => {
    sandbox = await useSandbox()
  })

  beforeEach(async () => {
    dest = await mkdtemp(join(tmpdir(), 'kasmctl-backup-'))
  })

  afterEach(async () => {
    await rm(dest, {force: true, recursive: true})
  })

  it('writes a compressed tar dump with a checksum and a manifest, all mode 0600', async () => {
    const result = await runCli(['backup', 'create', '--dest', dest, '--via', 'local', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    console.log(json, await readdir(dest))
    expect(json.format).to.equal('tar')
    const files = await readdir(dest)
    for (const file of files) expect((await stat(join(dest, file))).mode & 0o777, file).to.equal(0o600)
    console.log(await readFile(join(dest, `${json.file}.manifest.json`), 'utf8'))
  })
})
