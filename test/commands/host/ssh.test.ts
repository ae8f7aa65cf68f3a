import {expect} from 'chai'
import {mkdtemp, readdir, readFile, rm, stat} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {HostEntry} from '../../../src/lib/config/types.js'
import {readYamlScalar} from '../../../src/lib/hosts/yaml-edit.js'
import type {HostStatus} from '../../../src/lib/hosts/status.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {startSshd, type TestSshd} from '../../helpers/sshd.js'
import {apiConfigPath, apiConfigs, clearOperations, contextWithHosts, kasmctl, kasmctlJson, managerZones, operationsDir, sandboxHost, webappsHealthy} from './host-cli.js'

/**
 * The SSH path against a real sshd on 127.0.0.1: the "remote" hosts are the sandbox's own host
 * directories, reached through ssh root@127.0.0.1 with a throwaway key.
 */
describe('kasmctl host ... over SSH', function () {
  this.timeout(180_000)
  let sandbox: TestSandbox
  let sshd: TestSshd
  let scratch: string

  const overSsh = (name: string, sshOptions = sshd.sshOptions): HostEntry => ({...sandboxHost(sandbox, name), ssh: sshd.destination, sshOptions})
  /** Same key, but a port where nothing listens. */
  const unreachable = () => sshd.sshOptions.map((option) => (option === String(sshd.port) ? '1' : option))

  before(async () => {
    sshd = await startSshd()
    scratch = await mkdtemp(join(tmpdir(), 'kasmctl-ssh-test-'))
  })

  after(async () => {
    await sshd?.stop()
    await rm(scratch, {force: true, recursive: true})
  })

  beforeEach(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
    await clearOperations(sandbox)
  })

  it('host status reads the version, zone and services over SSH, and lists an unreachable host with the reason (exit 0)', async () => {
    const env = await contextWithHosts(sandbox, 'over-ssh', [overSsh('webapp-1'), overSsh('guac-1'), {...overSsh('webapp-2'), sshOptions: unreachable()}])
    const {hosts} = await kasmctlJson<{hosts: HostStatus[]}>(sandbox, ['host', 'status'], env)
    const [webapp, webappGone, guac] = hosts
    expect(webapp).to.deep.include({access: 'ssh', error: null, kasm_version: `${sandbox.state.kasmVersion}.0`, reachable: true, ssh: 'root@127.0.0.1', zone_name: 'default'})
    expect(webapp.services.up).to.equal(true)
    expect(guac).to.deep.include({reachable: true, zone_name: 'default'})
    expect(webappGone).to.deep.include({kasm_version: null, reachable: false, zone_name: null})
    expect(webappGone.error).to.include('host webapp-2 is unreachable over SSH (root@127.0.0.1)').and.match(/Connection refused/)
  })

  it('moves a web app over SSH to a zone whose name carries shell metacharacters: the name lands literally, nothing is executed', async () => {
    const marker = join(scratch, 'PWNED')
    const zone = `east$(touch ${marker});\`touch ${marker}\`'"|&`
    const env = await contextWithHosts(sandbox, 'over-ssh', [overSsh('webapp-1')])

    const result = await kasmctlJson<{status: string; hosts: Array<{access: string; status: string}>}>(sandbox, ['host', 'zone-name', zone, '--all', '--create-zone', '--yes'], env)

    expect(result.status).to.equal('done')
    expect(result.hosts).to.deep.equal([{...result.hosts[0], access: 'ssh', status: 'done'}])
    expect(readYamlScalar(await readFile(apiConfigPath(sandbox, 'webapp-1'), 'utf8'), ['server', 'zone_name'])).to.equal(zone)
    expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': zone, 'webapp-2': 'default'})
    const pwned = await stat(marker).then(
      () => true,
      () => false,
    )
    expect(pwned, 'a command hidden in the zone name ran').to.equal(false)
  })

  it('reports every host unreachable over SSH before stopping anything anywhere', async () => {
    const before = await apiConfigs(sandbox)
    const env = await contextWithHosts(sandbox, 'over-ssh', [overSsh('webapp-1'), {...overSsh('webapp-2'), sshOptions: unreachable()}])

    const result = await kasmctl(sandbox, ['host', 'zone-name', 'east', '--all', '--yes'], env)

    expect(result.exitCode).to.equal(69)
    expect(result.stderr).to.include('a host is unreachable, so nothing was changed: host webapp-2 is unreachable over SSH (root@127.0.0.1)')
    expect(result.stderr).to.include('BatchMode')
    expect(await apiConfigs(sandbox)).to.deep.equal(before)
    expect(await webappsHealthy(sandbox)).to.deep.equal({'webapp-1': true, 'webapp-2': true})
    const journals = await readdir(operationsDir(sandbox)).catch(() => [] as string[])
    expect(journals.filter((name) => name.endsWith('.json'))).to.deep.equal([])
  })
})
