import {expect} from 'chai'
import {chmod, chown, readdir, readFile, rm, stat, writeFile} from 'node:fs/promises'
import {join} from 'node:path'

import {KasmClient} from '../../../src/lib/kasm/client.js'
import {startCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {apiConfigPath, apiConfigs, clearOperations, kasmctl, kasmctlJson, managerZones, operationsDir, sandboxHost, waitForStderr, webappsHealthy} from './host-cli.js'

/** The uid/gid of the kasm user on a typical install; the files must keep it (kasm:kasm 644). */
const KASM_UID = 1000

interface ZoneNameJson {
  operation: string
  dry_run: boolean
  zone: string
  zone_id: null | string
  create_zone: boolean
  status: string
  journal: null | string
  started_at: null | string
  hosts: Array<{
    name: string
    access: string
    kasm_root: string
    status: string
    step: null | string
    files: Array<{path: string; key: string; from: string; to: string; backup: null | string; diff?: string}>
    missing_files: Array<{path: string; key: string}>
    services_may_be_stopped: boolean
    error: null | string
  }>
}

/** Lines that differ between two texts of the same length in lines. */
function changedLines(before: string, after: string): string[] {
  const a = before.split('\n')
  const b = after.split('\n')
  expect(b.length).to.equal(a.length)
  return a.flatMap((line, index) => (line === b[index] ? [] : [`${line} -> ${b[index]}`]))
}

describe('kasmctl host zone-name', function () {
  this.timeout(180_000)
  let sandbox: TestSandbox

  beforeEach(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
    await clearOperations(sandbox)
  })

  it('moves both web apps one at a time: Kasm lists their managers in the new zone, and the API answers through the proxy all along', async () => {
    expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'default', 'webapp-2': 'default'})
    // No read retries: a call that fails while a web app is down must show here.
    const client = await KasmClient.fromContext(sandbox.context, {retries: 0})
    const failures: string[] = []
    let answered = 0
    let running = true
    const traffic = (async () => {
      while (running) {
        try {
          await client.getZones()
          answered++
        } catch (error) {
          failures.push((error as Error).message)
        }

        await new Promise((resolve) => {
          setTimeout(resolve, 25)
        })
      }
    })()

    const result = await kasmctl(sandbox, ['host', 'zone-name', 'east', '--role', 'webapp', '--yes'])
    running = false
    await traffic
    client.close()

    expect(result.exitCode, result.stderr).to.equal(0)
    expect(failures).to.deep.equal([])
    expect(answered).to.be.greaterThan(10)
    expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'east', 'webapp-2': 'east'})
    expect(await webappsHealthy(sandbox)).to.deep.equal({'webapp-1': true, 'webapp-2': true})
    // One host after the other, each verified before the next is stopped.
    const steps = result.stderr.split('\n').filter((line) => /^webapp-\d: (stop|verify): ok/.test(line))
    expect(steps.map((line) => line.split(' (')[0])).to.deep.equal(['webapp-1: stop: ok', 'webapp-1: verify: ok', 'webapp-2: stop: ok', 'webapp-2: verify: ok'])
    expect(result.stdout).to.include('Zone "east" set on 2 host(s).')
  })

  it("changes only the zone_name line, keeping the file's owner and mode, with a timestamped backup beside it (--json)", async () => {
    const path = apiConfigPath(sandbox, 'webapp-1')
    await chown(path, KASM_UID, KASM_UID)
    await chmod(path, 0o644)
    const before = await readFile(path, 'utf8')

    const result = await kasmctlJson<ZoneNameJson>(sandbox, ['host', 'zone-name', 'east', '--host', 'webapp-1', '--yes'])

    const after = await readFile(path, 'utf8')
    expect(changedLines(before, after)).to.deep.equal(['  zone_name: default ->   zone_name: east'])
    const {gid, mode, uid} = await stat(path)
    expect({gid, mode: mode & 0o777, uid}).to.deep.equal({gid: KASM_UID, mode: 0o644, uid: KASM_UID})
    const [host] = result.hosts
    expect(host.files[0].backup).to.match(/api\.app\.config\.yaml\.kasmctl-\d{8}T\d{6}Z\.bak$/)
    expect(await readFile(host.files[0].backup!, 'utf8')).to.equal(before)
    // The backup keeps the owner but not the 0644: it holds the service's tokens. So does the journal.
    const backup = await stat(host.files[0].backup!)
    expect({mode: backup.mode & 0o777, uid: backup.uid}).to.deep.equal({mode: 0o600, uid: KASM_UID})
    expect((await stat(result.journal!)).mode & 0o777).to.equal(0o600)

    expect(result).to.deep.include({create_zone: false, dry_run: false, operation: 'change', status: 'done', zone: 'east'})
    expect(result.zone_id).to.match(/^[\da-f]{32}$/)
    expect(result.journal).to.match(/host-zone-name\.sandbox\..*\.done\.json$/)
    expect(result.hosts).to.have.length(1)
    expect(host).to.deep.include({access: 'local', error: null, kasm_root: sandboxHost(sandbox, 'webapp-1').kasmRoot, missing_files: [], name: 'webapp-1', services_may_be_stopped: false, status: 'done', step: null})
    expect(host.files).to.deep.equal([{backup: host.files[0].backup, from: 'default', key: 'server.zone_name', path, to: 'east'}])
    expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'east', 'webapp-2': 'default'})
  })

  it('--dry-run shows the unified diff of every file, says which files are missing, and changes nothing', async () => {
    const guac2 = join(sandboxHost(sandbox, 'guac-2').kasmRoot!, 'current', 'conf', 'app')
    await rm(join(guac2, 'passthrough.app.config.yaml'))
    const before = await apiConfigs(sandbox)

    const result = await kasmctl(sandbox, ['host', 'zone-name', 'east', '--all', '--dry-run'])

    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.include(`--- webapp-1:${apiConfigPath(sandbox, 'webapp-1')}\n+++ webapp-1:${apiConfigPath(sandbox, 'webapp-1')}\n@@ -20,7 +20,7 @@`)
    expect(result.stdout).to.include('-  zone_name: default\n+  zone_name: east\n')
    expect(result.stdout).to.include('-  zone: default\n+  zone: east\n')
    expect(result.stdout.match(/^\+\+\+ /gm)).to.have.length(2 + 3 + 2)
    expect(result.stdout).to.include(`guac-2: ${join(guac2, 'passthrough.app.config.yaml')} does not exist: skipped`)
    expect(result.stdout).to.include('Dry run: 4 host(s) would be changed one at a time (backup, stop, edit, start, verify): webapp-1, webapp-2, guac-1, guac-2. Nothing was changed.')
    expect(await apiConfigs(sandbox)).to.deep.equal(before)
    expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'default', 'webapp-2': 'default'})
    expect(await readdir(operationsDir(sandbox)).catch(() => [])).to.not.include('host-zone-name.sandbox.json')
  })

  it('edits kasmguac.zone and both rdp-gateway.zone files on connection proxies', async () => {
    const result = await kasmctlJson<ZoneNameJson>(sandbox, ['host', 'zone-name', 'east', '--role', 'connection-proxy', '--yes'])
    expect(result.hosts.map((host) => [host.name, host.status, host.files.map((file) => file.key)])).to.deep.equal([
      ['guac-1', 'done', ['kasmguac.zone', 'rdp-gateway.zone', 'rdp-gateway.zone']],
      ['guac-2', 'done', ['kasmguac.zone', 'rdp-gateway.zone', 'rdp-gateway.zone']],
    ])
    for (const file of result.hosts.flatMap((host) => host.files)) expect(await readFile(file.path, 'utf8')).to.match(/^ {2}zone: east$/m)
  })

  it('refuses a zone Kasm does not know, naming the known ones; --create-zone lets Kasm register it', async () => {
    const before = await apiConfigs(sandbox)
    const refused = await kasmctl(sandbox, ['host', 'zone-name', 'eats', '--role', 'webapp', '--yes'])
    expect(refused.exitCode).to.equal(64)
    expect(refused.stderr).to.include('zone "eats" does not exist in Kasm; existing zones: "default", "east" or "enclave"')
    expect(refused.stderr).to.include('--create-zone')
    expect(await apiConfigs(sandbox)).to.deep.equal(before)

    const created = await kasmctlJson<ZoneNameJson>(sandbox, ['host', 'zone-name', 'west', '--host', 'webapp-2', '--create-zone', '--yes'])
    expect(created).to.deep.include({create_zone: true, status: 'done', zone: 'west'})
    expect(created.zone_id).to.match(/^[\da-f]{32}$/)
    expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'default', 'webapp-2': 'west'})
  })

  it('does nothing to a host already in the zone', async () => {
    const result = await kasmctlJson<ZoneNameJson>(sandbox, ['host', 'zone-name', 'default', '--role', 'webapp', '--yes'])
    expect(result.hosts.map((host) => host.status)).to.deep.equal(['unchanged', 'unchanged'])
    expect(result.journal).to.equal(null)
  })

  it('a start script that fails: the host is put back (file byte for byte, serving in its old zone), exit 1 says what is done; --rollback restores the rest', async () => {
    const before = await apiConfigs(sandbox)
    // The new config breaks webapp-2's start, as a bad edit would; the old config starts fine.
    const start = join(sandboxHost(sandbox, 'webapp-2').kasmRoot!, 'bin', 'start')
    const original = await readFile(start, 'utf8')
    const check = `grep -q 'zone_name: east' '${apiConfigPath(sandbox, 'webapp-2')}' && { echo "kasm_api: config rejected" >&2; exit 1; }\n`
    await writeFile(start, original.replace('\n', `\n${check}`))

    const failed = await kasmctl(sandbox, ['host', 'zone-name', 'east', '--role', 'webapp', '--yes'])

    expect(failed.exitCode).to.equal(1)
    expect(failed.stderr).to.include('host webapp-2 failed at step start:').and.include('kasm_api: config rejected')
    expect(failed.stderr).to.include('it was rolled back: server.zone_name "default", services running')
    expect(failed.stderr).to.include('Already in zone "east": webapp-1.')
    expect(failed.stderr).to.include('kasmctl host zone-name --rollback')
    expect((await apiConfigs(sandbox))['webapp-2']).to.equal(before['webapp-2'])
    expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'east', 'webapp-2': 'default'})
    expect(await webappsHealthy(sandbox)).to.deep.equal({'webapp-1': true, 'webapp-2': true})

    const rolledBack = await kasmctlJson<ZoneNameJson>(sandbox, ['host', 'zone-name', '--rollback', '--yes'])
    expect(rolledBack).to.deep.include({operation: 'rollback', status: 'rolled-back'})
    expect(await apiConfigs(sandbox)).to.deep.equal(before)
    expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'default', 'webapp-2': 'default'})
    expect(await webappsHealthy(sandbox)).to.deep.equal({'webapp-1': true, 'webapp-2': true})
  })

  it('--json on failure: the error carries every host with its state', async () => {
    const start = join(sandboxHost(sandbox, 'webapp-1').kasmRoot!, 'bin', 'start')
    await writeFile(start, '#!/bin/sh\necho "compose: no such service" >&2\nexit 3\n')
    const result = await kasmctl(sandbox, ['host', 'zone-name', 'east', '--role', 'webapp', '--yes', '--json'])
    expect(result.exitCode).to.equal(1)
    const {error} = JSON.parse(result.stdout) as {error: {code: string; details: {failed_host: string; step: string; hosts: ZoneNameJson['hosts']}}}
    expect(error).to.deep.include({code: 'HOST_FAILED'})
    expect(error.details).to.deep.include({failed_host: 'webapp-1', step: 'start'})
    // webapp-1's rollback cannot start it either: the error says its services may be stopped.
    expect(error.details.hosts.map((host) => [host.name, host.status, host.services_may_be_stopped])).to.deep.equal([
      ['webapp-1', 'failed', true],
      ['webapp-2', 'pending', false],
    ])
  })

  for (const way of ['--resume', '--rollback'] as const) {
    it(`killed with kill -9 while webapp-2 is stopped: a new run is refused, and ${way} ends consistent`, async () => {
      const before = await apiConfigs(sandbox)
      const cli = startCli(['host', 'zone-name', 'east', '--role', 'webapp', '--yes'], {env: {...sandbox.env, KASMCTL_DEBUG_PAUSE_AT: 'webapp-2:start'}, timeoutMs: 120_000})
      await waitForStderr(cli, 'paused before start on webapp-2')
      cli.child.kill('SIGKILL')
      await cli.result
      expect(await webappsHealthy(sandbox)).to.deep.equal({'webapp-1': true, 'webapp-2': false})

      const blocked = await kasmctl(sandbox, ['host', 'zone-name', 'enclave', '--role', 'webapp', '--yes'])
      expect(blocked.exitCode).to.equal(75)
      expect(blocked.stderr).to.include('was interrupted: webapp-1 done; webapp-2 interrupted during start (its Kasm services may be stopped)')
      expect(blocked.stderr).to.include('kasmctl host zone-name --resume').and.include('kasmctl host zone-name --rollback')

      const finished = await kasmctlJson<ZoneNameJson>(sandbox, ['host', 'zone-name', way, '--yes'])
      expect(await webappsHealthy(sandbox)).to.deep.equal({'webapp-1': true, 'webapp-2': true})
      if (way === '--resume') {
        expect(finished.hosts.map((host) => host.status)).to.deep.equal(['done', 'done'])
        expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'east', 'webapp-2': 'east'})
      } else {
        expect(finished.hosts.map((host) => host.status)).to.deep.equal(['rolled-back', 'rolled-back'])
        expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'default', 'webapp-2': 'default'})
        expect(await apiConfigs(sandbox)).to.deep.equal(before)
      }

      expect(await readdir(operationsDir(sandbox))).to.not.include('host-zone-name.sandbox.json')
    })
  }

  it('a rollback killed midway: --resume moves every host forward again, none skipped half-restored', async () => {
    const killAt = async (args: string[], pauseAt: string) => {
      const cli = startCli(args, {env: {...sandbox.env, KASMCTL_DEBUG_PAUSE_AT: pauseAt}, timeoutMs: 120_000})
      await waitForStderr(cli, 'paused before')
      cli.child.kill('SIGKILL')
      await cli.result
    }

    await killAt(['host', 'zone-name', 'east', '--role', 'webapp', '--yes'], 'webapp-2:verify')
    // The rollback goes last host first: webapp-2 is put back, webapp-1 is stopped and killed before its restore.
    await killAt(['host', 'zone-name', '--rollback', '--yes'], 'webapp-1:rollback-restore')
    expect(await webappsHealthy(sandbox)).to.deep.equal({'webapp-1': false, 'webapp-2': true})

    const blocked = await kasmctl(sandbox, ['host', 'zone-name', 'east', '--role', 'webapp', '--yes'])
    expect(blocked.stderr).to.include('was interrupted while rolling back: webapp-1 interrupted while being rolled back (during restore) (its Kasm services may be stopped); webapp-2 rolled-back')

    const resumed = await kasmctlJson<ZoneNameJson>(sandbox, ['host', 'zone-name', '--resume', '--yes'])
    expect(resumed.hosts.map((host) => host.status)).to.deep.equal(['done', 'done'])
    expect(await managerZones(sandbox)).to.deep.equal({'webapp-1': 'east', 'webapp-2': 'east'})
    expect(await webappsHealthy(sandbox)).to.deep.equal({'webapp-1': true, 'webapp-2': true})
  })

  it('Ctrl-C mid-run exits 130 naming each host\'s state and the way on', async () => {
    const cli = startCli(['host', 'zone-name', 'east', '--role', 'webapp', '--yes'], {env: {...sandbox.env, KASMCTL_DEBUG_PAUSE_AT: 'webapp-1:edit'}, timeoutMs: 120_000})
    await waitForStderr(cli, 'paused before edit on webapp-1')
    cli.child.kill('SIGINT')
    const result = await cli.result
    expect(result.exitCode).to.equal(130)
    expect(result.stderr).to.include('interrupted: webapp-1 interrupted during edit (its Kasm services may be stopped); webapp-2 pending.')
    expect(result.stderr).to.include('kasmctl host zone-name --resume').and.include('kasmctl host zone-name --rollback')
    const resumed = await kasmctlJson<ZoneNameJson>(sandbox, ['host', 'zone-name', '--resume', '--yes'])
    expect(resumed.hosts.map((host) => host.status)).to.deep.equal(['done', 'done'])
  })

  it('refuses bad usage, naming what is missing', async () => {
    const noHosts = await kasmctl(sandbox, ['host', 'zone-name', 'east'])
    expect(noHosts.exitCode).to.equal(64)
    expect(noHosts.stderr).to.include('choose the hosts: --host NAME, --role webapp|connection-proxy or --all')
    const unknownHost = await kasmctl(sandbox, ['host', 'zone-name', 'east', '--host', 'webapp-9'])
    expect(unknownHost.exitCode).to.equal(64)
    expect(unknownHost.stderr).to.include('host "webapp-9" is not in the inventory of context "sandbox"')
    const nothingToResume = await kasmctl(sandbox, ['host', 'zone-name', '--resume', '--yes'])
    expect(nothingToResume.exitCode).to.equal(64)
    expect(nothingToResume.stderr).to.include('there is no unfinished `host zone-name` run to resume')
    const resumeWithZone = await kasmctl(sandbox, ['host', 'zone-name', 'east', '--resume'])
    expect(resumeWithZone.exitCode).to.equal(64)
    const noConfirmation = await kasmctl(sandbox, ['host', 'zone-name', 'east', '--all'])
    expect(noConfirmation.exitCode).to.equal(64)
    expect(noConfirmation.stderr).to.include('re-run with --yes')
  })
})
