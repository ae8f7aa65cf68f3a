import {expect} from 'chai'

import type {KasmApiError} from '../../../src/lib/errors.js'
import type {KasmClient} from '../../../src/lib/kasm/client.js'
import {useSandbox} from '../../helpers/sandbox.js'
import {envOnlyContext, expectRefused, kasmctl, kasmctlJson, zoneNamed, zoneState} from './zone-cli.js'

describe('kasmctl zone set', () => {
  beforeEach(async () => {
    await (await useSandbox()).reset()
  })

  it('takes --flag=false|true (and yes/no/1/0, see test/flags.test.ts), bare --flag and --no-flag for boolean settings', async () => {
    const cases: Array<[string[], boolean]> = [
      [['--search-alternate=false'], false],
      [['--search-alternate=true'], true],
      [['--no-search-alternate'], false],
      [['--search-alternate'], true],
      [['--search-alternate=0'], false],
      [['--search-alternate=YES'], true],
    ]
    for (const [flags, expected] of cases) {
      const result = await kasmctl(['zone', 'set', 'east', ...flags])
      expect(result.exitCode, `${flags.join(' ')}: ${result.stderr}`).to.equal(0)
      expect((await zoneNamed('east'))!.search_alternate_zones, flags.join(' ')).to.equal(expected)
    }
  })

  it('exactly `zone set --search-alternate=false` works on the context\'s default zone, printing before → after', async () => {
    const result = await kasmctl(['zone', 'set', '--search-alternate=false'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.equal('zone default changed:\n  search_alternate_zones: true → false\n')
    expect((await zoneNamed('default'))!.search_alternate_zones).to.equal(false)
  })

  it('sets every zone setting, $request_host$ literally', async () => {
    const result = await kasmctl([
      'zone', 'set', 'east',
      '--load-strategy', 'least_load', '--no-search-alternate', '--prioritize-static-agents=false',
      '--allow-origin-domain', 'kasm.example.com', '--upstream-auth-address', 'api.internal.example.com',
      '--proxy-connections=no', '--proxy-hostname', 'proxy.example.com', '--proxy-path', 'sessions', '--proxy-port', '8443',
      '--proxy-rdp-client-connections=0', '--proxy-rdp-hostname', '$request_host$', '--proxy-rdp-port', '0',
      '--verify-rdp-client-ip', '--enable-rdp-https-gw=false', '--enable-rdp-https-gw-dlp=true', '--enable-rdp-direct-login=yes',
    ])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect((await zoneNamed('east'))!).to.include({
      allow_origin_domain: 'kasm.example.com', enable_rdp_direct_login: true, enable_rdp_https_gw: false, enable_rdp_https_gw_dlp: true,
      load_strategy: 'least_load', prioritize_static_agents: false, proxy_connections: false, proxy_hostname: 'proxy.example.com',
      proxy_path: 'sessions', proxy_port: 8443, proxy_rdp_client_connections: false, proxy_rdp_hostname: '$request_host$',
      proxy_rdp_port: 0, search_alternate_zones: false, upstream_auth_address: 'api.internal.example.com', verify_rdp_client_ip: true,
    })
  })

  it('--json: {zone_id, zone_name, changed, dry_run, changes: [{field, before, after}]}; a no-op is "unchanged", exit 0', async () => {
    const changed = await kasmctlJson(['zone', 'set', 'east', '--proxy-port', '443', '--load-strategy', 'most-sessions'])
    const east = (await zoneNamed('east'))!
    expect(changed).to.deep.equal({
      changed: true,
      changes: [{after: 443, before: 0, field: 'proxy_port'}],
      dry_run: false,
      zone_id: east.zone_id,
      zone_name: 'east',
    })
    const same = await kasmctl(['zone', 'set', 'east', '--proxy-port', '443'])
    expect(same.exitCode).to.equal(0)
    expect(same.stdout).to.equal('zone east unchanged\n')
  })

  it('--dry-run prints the change and sends nothing', async () => {
    const before = await zoneState()
    const result = await kasmctl(['zone', 'set', 'enclave', '--no-search-alternate', '--dry-run'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.equal('zone enclave would change (dry run: nothing sent):\n  search_alternate_zones: true → false\n')
    expect(await zoneState()).to.deep.equal(before)
  })

  it('without ZONE or a default zone, and not on a terminal: an error listing the zones', async () => {
    const sandbox = await useSandbox()
    const env = await envOnlyContext(sandbox)
    const before = await zoneState()
    const result = await kasmctl(['zone', 'set', '--no-search-alternate'], {env})
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('no ZONE given and context "(environment)" has no defaultZone: name one of default, east or enclave')
    expect(await zoneState()).to.deep.equal(before)
  })

  it('refuses bad input with exit 64 and sends nothing', async () => {
    await expectRefused(['zone', 'set', 'east', '--search-alternate=maybe'], '"maybe" is not a boolean value for --search-alternate: use true, false, yes, no, 1 or 0')
    await expectRefused(['zone', 'set', 'east', '--proxy-port', '70000'], '"70000" is not a port')
    await expectRefused(['zone', 'set', 'east', '--proxy-port=-1'], '"-1" is not a port')
    await expectRefused(['zone', 'set', 'east', '--load-strategy', 'round-robin'], '"round-robin" is not a load strategy')
    await expectRefused(['zone', 'set', 'west', '--proxy-port', '0'], 'no zone "west": known zones: default, east, enclave')
    await expectRefused(['zone', 'set', 'east', '--search-alternate=true', '--search-alternate=false'], 'conflicting flags: --search-alternate=true and --search-alternate=false')
    await expectRefused(['zone', 'set', 'east', '--proxy-port', '1', '--proxy-port', '2'], 'Flag --proxy-port can only be specified once')
    await expectRefused(['zone', 'set', 'east', '--proxy-hostname', ' '], '--proxy-hostname: must not be empty')
    await expectRefused(['zone', 'set', 'east'], 'nothing to set: give at least one setting flag')
  })

  describe('the effect on session placement (request_kasm from a web app in zone default)', () => {
    let client: KasmClient
    let request: () => Promise<{kasm_id: string}>

    beforeEach(async () => {
      const sandbox = await useSandbox()
      client = await sandbox.client()
      const db = await sandbox.db()
      try {
        const {rows: [image]} = await db.query<{image_id: string}>('SELECT image_id::text FROM images WHERE enabled AND NOT restrict_to_zone ORDER BY cores, memory_bytes LIMIT 1')
        const {rows: [user]} = await db.query<{user_id: string}>('SELECT user_id::text FROM users ORDER BY username LIMIT 1')
        request = () => client.requestKasm({image_id: image.image_id, user_id: user.user_id})
      } finally {
        await db.end()
      }

      // Zone default is full: every one of its agents is disabled.
      const zone = (await zoneNamed('default'))!
      for (const server of zone.servers!.filter((s) => s.server_type === 'host')) await client.updateServer(server.server_id, 'host', {enabled: false})
    })

    afterEach(() => client.close())

    it('--search-alternate=false: the request fails instead of landing in another zone', async () => {
      expect((await kasmctl(['zone', 'set', 'default', '--search-alternate=false'])).exitCode).to.equal(0)
      const error = await request().then(
        () => undefined,
        (error_: unknown) => error_,
      )
      // Compared by code: the client comes from the harness's own import of the sources.
      expect(error).to.have.property('code', 'KASM_API')
      expect((error as KasmApiError).kasmMessage).to.match(/^No resources are available/)
    })

    it('--search-alternate=true: the session lands on an agent of another zone', async () => {
      expect((await kasmctl(['zone', 'set', 'default', '--search-alternate=true'])).exitCode).to.equal(0)
      const {kasm_id: kasmId} = await request()
      const kasm = await client.getKasm(kasmId)
      expect(kasm.server?.zone_name).to.be.oneOf(['east', 'enclave'])
    })
  })
})
