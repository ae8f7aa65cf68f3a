import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {chmod, copyFile, cp, mkdir, mkdtemp, readFile, rm} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {saveConfig} from '../../../src/lib/config/store.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {sandboxHost, webappsHealthy} from './host-cli.js'

const ROOT = resolve(fileURLToPath(new URL('../../..', import.meta.url)))
const NOBODY = '65534'

/** Runs kasmctl as the unprivileged uid 65534 (setpriv), the way an operator without sudo would. */
async function kasmctlAsNobody(args: string[], env: NodeJS.ProcessEnv): Promise<{exitCode: number; stderr: string}> {
  const bin = resolve(ROOT, process.env.KASMCTL_TEST_BIN ?? 'bin/run.js')
  const tsx = bin.endsWith('dev.js') ? ['--import', 'tsx'] : []
  const argv = [`--reuid=${NOBODY}`, `--regid=${NOBODY}`, '--clear-groups', process.execPath, ...tsx, bin, ...args]
  return new Promise((resolvePromise) => {
    execFile('setpriv', argv, {cwd: ROOT, env, timeout: 120_000}, (error, _stdout, stderr) => {
      resolvePromise({exitCode: error ? Number((error as NodeJS.ErrnoException & {code?: number}).code ?? 1) : 0, stderr})
    })
  })
}

describe('kasmctl host zone-name, locally without root', function () {
  this.timeout(180_000)
  let sandbox: TestSandbox
  let dir: string

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-nonroot-'))
    await chmod(dir, 0o755)
  })

  after(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  it('refuses with a clear error naming root when the Kasm files are not writable, before anything is stopped', async () => {
    // A copy of webapp-1's Kasm tree (root's, 644) that uid 65534 can read but not write, and a config it can read.
    const kasmRoot = join(dir, 'opt', 'kasm')
    await cp(sandboxHost(sandbox, 'webapp-1').kasmRoot!, kasmRoot, {recursive: true, verbatimSymlinks: true})
    await copyFile(sandbox.context.api.tls!.caFile!, join(dir, 'ca.pem'))
    const secret = (await readFile(sandbox.state.apiKeys.admin.secretFile, 'utf8')).trim()
    const configPath = join(dir, 'config.yaml')
    await saveConfig({
      file: {
        contexts: [{...sandbox.context, api: {...sandbox.context.api, secret: {value: secret}, tls: {caFile: join(dir, 'ca.pem')}}, hosts: [{...sandboxHost(sandbox, 'webapp-1'), kasmRoot}], name: 'no-root'}],
        currentContext: 'no-root',
      },
      path: configPath,
    })
    await chmod(configPath, 0o644)
    await mkdir(join(dir, 'data'), {mode: 0o777})
    await chmod(join(dir, 'data'), 0o777)

    const result = await kasmctlAsNobody(['host', 'zone-name', 'east', '--all', '--yes'], {HOME: dir, KASMCTL_CONFIG: configPath, NO_COLOR: '1', PATH: process.env.PATH, XDG_DATA_HOME: join(dir, 'data')})

    expect(result.exitCode, result.stderr).to.equal(77)
    expect(result.stderr).to.include(`${kasmRoot}/current/conf/app is not writable by`)
    expect(result.stderr).to.include('run it as root (sudo kasmctl ...)')
    expect(await webappsHealthy(sandbox)).to.deep.equal({'webapp-1': true, 'webapp-2': true})
  })
})
