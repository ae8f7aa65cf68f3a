import {expect} from 'chai'
import {parse} from 'yaml'

import {ZONE_SETTINGS} from '../../../src/lib/zones/settings.js'
import {useSandbox} from '../../helpers/sandbox.js'
import {kasmctl, kasmctlJson} from './zone-cli.js'

describe('kasmctl zone export', () => {
  before(async () => {
    await (await useSandbox()).reset()
  })

  it('prints YAML to keep in git: a header comment, names not ids, settings only, enclave marks from the context', async () => {
    const result = await kasmctl(['zone', 'export'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^# Deployment zones of context "sandbox" \(https:\/\/127\.0\.0\.1:\d+\), exported by kasmctl\.\n/)
    expect(result.stdout).to.not.match(/[\da-f]{32}/)
    const document = parse(result.stdout)
    expect(document.version).to.equal(1)
    expect(Object.keys(document.zones)).to.deep.equal(['default', 'east', 'enclave'])
    expect(Object.keys(document.zones.default)).to.deep.equal(ZONE_SETTINGS.map((s) => s.field))
    expect(document.zones.enclave.enclave).to.equal(true)
    expect(document.zones.east).to.include({load_strategy: 'most_kasms', upstream_auth_address: '$request_host$'})
  })

  it('exports only the zones named; -o json and --json print the same document', async () => {
    const sandbox = await useSandbox()
    const client = await sandbox.client()
    const eastId = (await client.getZones()).find((z) => z.zone_name === 'east')!.zone_id
    client.close()
    const document = await kasmctlJson<{version: number; zones: Record<string, unknown>}>(['zone', 'export', eastId.slice(0, 8), 'enclave'])
    expect(Object.keys(document.zones)).to.deep.equal(['east', 'enclave'])
    const yaml = parse((await kasmctl(['zone', 'export', 'east', 'enclave', '-o', 'yaml'])).stdout)
    expect(yaml).to.deep.equal(document)
  })

  it('an unknown zone is a usage error', async () => {
    const result = await kasmctl(['zone', 'export', 'east', 'north'])
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('no zone "north"')
    expect(result.stdout).to.equal('')
  })
})
