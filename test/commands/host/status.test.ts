import {expect} from 'chai'

import type {HostStatus} from '../../../src/lib/hosts/status.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {kasmctl, kasmctlJson, sandboxHost} from './host-cli.js'

describe('kasmctl host status', function () {
  this.timeout(120_000)
  let sandbox: TestSandbox

  beforeEach(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  it('lists every inventory host: reachable, Kasm version, services up, zone', async () => {
    const result = await kasmctl(sandbox, ['host', 'status'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const lines = result.stdout.split('\n')
    expect(lines[0].split(/\s{2,}/)).to.deep.equal(['HOST', 'ROLES', 'ACCESS', 'REACHABLE', 'VERSION', 'SERVICES UP', 'ZONE'])
    const version = `${sandbox.state.kasmVersion}.0`
    expect(lines.find((line) => line.startsWith('webapp-1 '))!.split(/\s{2,}/)).to.deep.equal(['webapp-1', 'webapp', 'local', 'yes', version, 'yes', 'default'])
    expect(lines.find((line) => line.startsWith('guac-1 '))!.split(/\s{2,}/)).to.deep.equal(['guac-1', 'connection-proxy', 'local', 'yes', version, '-', 'default'])
    expect(lines.find((line) => line.startsWith('db-1 '))!.split(/\s{2,}/)).to.deep.equal(['db-1', 'db', 'local', 'yes', version, '-', '-'])
  })

  it('--json: per host, with the zone files and the web app healthcheck; a stopped web app is not up', async () => {
    await sandbox.stopWebapp('webapp-2')
    const {hosts} = await kasmctlJson<{hosts: HostStatus[]}>(sandbox, ['host', 'status', '--role', 'webapp'])
    expect(hosts.map((host) => host.name)).to.deep.equal(['webapp-1', 'webapp-2'])
    const [up, down] = hosts
    const kasmRoot = sandboxHost(sandbox, 'webapp-1').kasmRoot!
    expect(up).to.deep.include({
      access: 'local',
      error: null,
      kasm_root: kasmRoot,
      kasm_version: `${sandbox.state.kasmVersion}.0`,
      reachable: true,
      roles: ['webapp'],
      ssh: null,
      zone_files: [{exists: true, key: 'server.zone_name', path: `${kasmRoot}/current/conf/app/api.app.config.yaml`, value: 'default'}],
      zone_name: 'default',
    })
    // No Docker engine here: containers cannot be listed, so only the healthcheck decides.
    expect(up.services).to.deep.include({containers: null, up: true})
    expect(up.services.webapp).to.deep.include({error: null, ok: true, status: 200, url: sandboxHost(sandbox, 'webapp-1').url})
    expect(down.services.up).to.equal(false)
    expect(down.services.webapp!.ok).to.equal(false)
  })

  it('shows the install root given with --kasm-root, and a host without Kasm there', async () => {
    const {hosts} = await kasmctlJson<{hosts: HostStatus[]}>(sandbox, ['host', 'status', '--host', 'webapp-1', '--kasm-root', '/nonexistent/kasm'])
    expect(hosts[0]).to.deep.include({kasm_root: '/nonexistent/kasm', kasm_version: null, reachable: true, zone_name: null})
    expect(hosts[0].zone_files).to.deep.equal([{exists: false, key: 'server.zone_name', path: '/nonexistent/kasm/current/conf/app/api.app.config.yaml', value: null}])
  })
})
