import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {chmod, mkdtemp, rm, stat, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {promisify} from 'node:util'

import type {HostEntry} from '../../../src/lib/config/types.js'
import {UnavailableError} from '../../../src/lib/errors.js'
import {HostUnreachableError, remoteCommandLine, runOnHost, runOnHostChecked} from '../../../src/lib/remote/run.js'
import {shellQuote} from '../../../src/lib/remote/shell.js'
import {startSshd, type TestSshd} from '../../helpers/sshd.js'

/** Values a zone name or path might carry that a careless shell line would execute. */
const HOSTILE = ["it's", '$(touch PWNED)', '`touch PWNED`', 'a; touch PWNED', 'a && touch PWNED', 'a\ntouch PWNED', '"; touch PWNED; "', '-rf', '', 'a b\tc', '*', '~root', '\\']

describe('remote: runOnHost', () => {
  let sshd: TestSshd
  let remote: HostEntry
  let scratch: string
  const local: HostEntry = {name: 'this-machine', roles: ['webapp']}

  before(async () => {
    sshd = await startSshd()
    remote = sshd.host('webapp-ssh')
    scratch = await mkdtemp(join(tmpdir(), 'kasmctl-remote-'))
  })

  after(async () => {
    await sshd?.stop()
    await rm(scratch, {force: true, recursive: true})
  })

  for (const [label, host] of [
    ['locally', () => local],
    ['over SSH', () => remote],
  ] as const) {
    describe(label, () => {
      it('returns stdout, stderr and the exit code, keeping trailing newlines', async () => {
        const result = await runOnHost(host(), ['sh', '-c', 'printf "out\\n\\n"; printf "err\\n" >&2; exit 7'])
        expect(result).to.deep.equal({exitCode: 7, stderr: 'err\n', stdout: 'out\n\n'})
      })

      it('passes every argument through literally: shell metacharacters are never executed', async () => {
        const result = await runOnHost(host(), ['sh', '-c', 'cd "$1" && printf "%s\\0" "$@"', 'sh', scratch, ...HOSTILE])
        expect(result.exitCode).to.equal(0)
        expect(result.stdout.split('\0').slice(1, -1)).to.deep.equal(HOSTILE)
        await expectNoFile(join(scratch, 'PWNED'))
      })

      it('feeds input on stdin', async () => {
        const result = await runOnHost(host(), ['cat'], {input: 'zone_name: east\n'})
        expect(result.stdout).to.equal('zone_name: east\n')
      })

      it('runs a command as root directly when sudo is asked and the user is root', async () => {
        const result = await runOnHost(host(), ['id', '-u'], {sudo: true})
        expect(result).to.include({exitCode: 0, stdout: '0\n'})
      })

      it('runOnHostChecked names the command, the host and its stderr when it fails', async () => {
        const error = await runOnHostChecked(host(), ['sh', '-c', 'echo "bin/stop: compose failed" >&2; exit 2']).catch((error_: Error) => error_)
        expect(error).to.be.an('error')
        expect((error as Error).message).to.include('exit 2').and.include(host().name).and.include('bin/stop: compose failed')
      })
    })
  }

  it('reports a local command that does not exist as exit 127', async () => {
    const result = await runOnHost(local, ['kasmctl-no-such-command'])
    expect(result.exitCode).to.equal(127)
    expect(result.stderr).to.include('ENOENT')
  })

  it('gives up after timeoutMs with an UnavailableError naming the host', async () => {
    const error = await runOnHost(remote, ['sleep', '30'], {timeoutMs: 1500}).catch((error_: Error) => error_)
    expect(error).to.be.instanceOf(UnavailableError)
    expect((error as Error).message).to.include('webapp-ssh').and.include('did not finish')
  })

  it('raises HostUnreachableError naming the host and the ssh error when nothing listens', async () => {
    const closedPort = sshd.sshOptions.map((option) => (option === String(sshd.port) ? '1' : option))
    const error = await runOnHost({...remote, name: 'webapp-gone', sshOptions: closedPort}, ['true']).catch((error_: Error) => error_)
    expect(error).to.be.instanceOf(HostUnreachableError)
    expect(error).to.include({exitCode: 69, host: 'webapp-gone'})
    expect((error as Error).message).to.include('webapp-gone').and.include('root@127.0.0.1').and.match(/Connection refused/i)
  })

  it('raises HostUnreachableError when the key is refused (BatchMode: never a password prompt)', async () => {
    const otherKey = join(scratch, 'other_key')
    await promisify(execFile)('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', otherKey])
    const sshOptions = sshd.sshOptions.map((option) => (option.endsWith('client_key') ? otherKey : option))
    const error = await runOnHost({...remote, sshOptions}, ['true']).catch((error_: Error) => error_)
    expect(error).to.be.instanceOf(HostUnreachableError)
    expect((error as Error).message).to.match(/Permission denied/i)
  })
})

describe('remote: remoteCommandLine', () => {
  let fakeBin: string

  // A non-root ssh user with sudo cannot exist on the test machine without creating system users:
  // fake `id` (non-root) and `sudo` (prints what it was given) stand in for them, the shell is real.
  before(async () => {
    fakeBin = await mkdtemp(join(tmpdir(), 'kasmctl-fakebin-'))
    await writeFile(join(fakeBin, 'id'), '#!/bin/sh\necho 1000\n')
    await writeFile(join(fakeBin, 'sudo'), '#!/bin/sh\nprintf "sudo"; printf " [%s]" "$@"\n')
    await chmod(join(fakeBin, 'id'), 0o755)
    await chmod(join(fakeBin, 'sudo'), 0o755)
  })

  after(async () => {
    await rm(fakeBin, {force: true, recursive: true})
  })

  it('goes through `sudo -n --` as a non-root user, with the arguments intact', async () => {
    const line = remoteCommandLine(['/opt/kasm/bin/stop', "zone'; reboot"], true)
    const {stdout} = await promisify(execFile)('sh', ['-c', line], {env: {PATH: `${fakeBin}:/usr/bin:/bin`}})
    expect(stdout).to.equal("sudo [-n] [--] [/opt/kasm/bin/stop] [zone'; reboot]")
  })

  it('is the quoted command alone when sudo is not asked', () => {
    expect(remoteCommandLine(['cat', '/opt/kasm/current/conf/app/api.app.config.yaml'])).to.equal('cat /opt/kasm/current/conf/app/api.app.config.yaml')
  })
})

describe('remote: shellQuote', () => {
  it('leaves plain words alone and single-quotes everything else', () => {
    expect(shellQuote('/opt/kasm/bin/start')).to.equal('/opt/kasm/bin/start')
    expect(shellQuote('')).to.equal("''")
    expect(shellQuote('a b')).to.equal("'a b'")
    expect(shellQuote("it's")).to.equal(String.raw`'it'\''s'`)
  })
})

async function expectNoFile(path: string): Promise<void> {
  const exists = await stat(path).then(
    () => true,
    () => false,
  )
  expect(exists, `${path} must not exist`).to.equal(false)
}
