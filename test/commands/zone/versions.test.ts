import {expect} from 'chai'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {expectRefused, kasmctl, kasmctlJson, zoneState} from './zone-cli.js'

const RDP_FIELDS = ['proxy_rdp_client_connections', 'proxy_rdp_hostname', 'proxy_rdp_port', 'verify_rdp_client_ip', 'enable_rdp_https_gw', 'enable_rdp_https_gw_dlp', 'enable_rdp_direct_login']

// Kasm 1.15 accepts the 7 RDP zone fields and silently drops them; 1.16 keeps only proxy_rdp_client_connections.
describe('zone commands on a Kasm without the RDP zone fields', () => {
  let old: TestSandbox

  before(async () => {
    old = await useSandbox({kasmVersion: '1.15'})
  })

  beforeEach(() => old.reset())

  it('zone set refuses an RDP field with exit 64, naming the field and the version, and sends nothing', async () => {
    const result = await expectRefused(['zone', 'set', 'east', '--proxy-rdp-hostname', 'rdp.example.com', '--no-search-alternate'], '--proxy-rdp-hostname (proxy_rdp_hostname, Kasm 1.19+): not a zone setting of this Kasm (version 1.15', {sandbox: old})
    expect(result.stderr).to.include('nothing was sent')
    const json = await kasmctl(['zone', 'set', 'east', '--enable-rdp-https-gw=false', '--json'], {sandbox: old})
    expect(json.exitCode).to.equal(64)
    expect(JSON.parse(json.stdout).error).to.deep.include({details: {kasm_version: '1.15', unsupported: ['enable_rdp_https_gw']}, exitCode: 64})
  })

  it('zone create refuses an RDP field the same way, and creates a zone without sending the others', async () => {
    await expectRefused(['zone', 'create', 'west', '--proxy-rdp-port', '8443'], '--proxy-rdp-port (proxy_rdp_port, Kasm 1.19+): not a zone setting of this Kasm (version 1.15', {sandbox: old})
    const created = await kasmctlJson<{zone: Record<string, unknown>}>(['zone', 'create', 'west', '--dry-run'], {sandbox: old})
    expect(Object.keys(created.zone)).to.not.include.members(RDP_FIELDS)
  })

  it('zone get shows only the settings this Kasm has', async () => {
    const result = await kasmctl(['zone', 'get', 'east'], {sandbox: old})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.match(/^proxy_port:/m).and.not.include('rdp')
  })

  it('zone export omits the fields this Kasm does not have, and diff/apply of a 1.19 file show no drift for them', async () => {
    const exported = await kasmctlJson<{zones: Record<string, Record<string, unknown>>}>(['zone', 'export'], {sandbox: old})
    for (const settings of Object.values(exported.zones)) expect(Object.keys(settings)).to.not.include.members(RDP_FIELDS)

    // The same deployment's file from a 1.19 server: its RDP fields can never be applied here.
    const file = `version: 1\nzones:\n  east:\n    load_strategy: most-sessions\n    proxy_rdp_hostname: rdp.example.com\n    enable_rdp_direct_login: true\n`
    const diff = await kasmctl(['zone', 'diff', '-f', '-'], {input: file, sandbox: old})
    expect(diff.exitCode, diff.stderr).to.equal(0)
    expect(diff.stdout).to.equal('no changes: 1 zone(s) match the file\n! ignored for zone east, not fields of this Kasm: proxy_rdp_hostname, enable_rdp_direct_login\n')
    const before = await zoneState({sandbox: old})
    const apply = await kasmctlJson<{changed: boolean; ignored: unknown[]}>(['zone', 'apply', '-f', '-'], {input: file, sandbox: old})
    expect(apply).to.deep.include({changed: false, ignored: [{fields: ['proxy_rdp_hostname', 'enable_rdp_direct_login'], zone_name: 'east'}]})
    expect(await zoneState({sandbox: old})).to.deep.equal(before)
  })
})

describe('zone commands on Kasm 1.16 (one RDP zone field)', () => {
  it('--help says from which release each RDP setting exists', async () => {
    const {stdout} = await runCli(['zone', 'set', '--help'])
    expect(stdout).to.match(/--\[no-]proxy-rdp-client-connections\n\s+proxy RDP client connections \(Kasm 1\.16\+\)/)
    expect(stdout).to.match(/--proxy-rdp-hostname=VALUE\n\s+host name of the proxy for RDP client connections \(Kasm 1\.19\+\)/)
  })

  it('set proxy_rdp_client_connections, and refuse the six fields 1.19 added', async () => {
    const sandbox = await useSandbox({kasmVersion: '1.16'})
    await sandbox.reset()
    const set = await kasmctlJson<{changed: boolean}>(['zone', 'set', 'east', '--no-proxy-rdp-client-connections'], {sandbox})
    expect(set.changed).to.equal(true)
    await expectRefused(['zone', 'set', 'east', '--verify-rdp-client-ip'], '--verify-rdp-client-ip (verify_rdp_client_ip, Kasm 1.19+): not a zone setting of this Kasm (version 1.16', {sandbox})
    await sandbox.reset()
  })
})
