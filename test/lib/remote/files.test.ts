import {expect} from 'chai'
import {chown, mkdtemp, readdir, readFile, rm, stat, symlink, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import type {HostEntry} from '../../../src/lib/config/types.js'
import {OperationError} from '../../../src/lib/errors.js'
import {copyHostFile, readHostFile, resolveHostPath, statHostFile, writeHostFile} from '../../../src/lib/remote/files.js'
import {startSshd, type TestSshd} from '../../helpers/sshd.js'

/** The uid/gid Kasm's installer gives the kasm user on a typical host; no such user needs to exist. */
const KASM_UID = 1000

describe('remote: host files', () => {
  let sshd: TestSshd
  let dir: string
  const hosts: Record<string, () => HostEntry> = {}

  before(async () => {
    sshd = await startSshd()
    hosts.locally = () => ({name: 'this-machine', roles: ['webapp']})
    hosts['over SSH'] = () => sshd.host('webapp-ssh')
  })

  after(async () => {
    await sshd?.stop()
  })

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-files-'))
  })

  afterEach(async () => {
    await rm(dir, {force: true, recursive: true})
  })

  for (const label of ['locally', 'over SSH']) {
    describe(label, () => {
      const host = () => hosts[label]()

      it('reads a file byte for byte, and a missing file as undefined', async () => {
        const content = "server:\n  zone_name: default # keep\n\n\n? ''\n: x\n"
        await writeFile(join(dir, 'api.app.config.yaml'), content)
        expect(await readHostFile(host(), join(dir, 'api.app.config.yaml'))).to.equal(content)
        expect(await readHostFile(host(), join(dir, 'missing.yaml'))).to.equal(undefined)
      })

      it('replaces a file keeping its owner and mode, and leaves no temp file', async () => {
        const path = join(dir, 'kasm owned.yaml')
        await writeFile(path, 'zone_name: default\n', {mode: 0o644})
        await chown(path, KASM_UID, KASM_UID)
        await writeHostFile(host(), path, 'zone_name: east\n')
        expect(await readFile(path, 'utf8')).to.equal('zone_name: east\n')
        const after = await stat(path)
        expect({gid: after.gid, mode: after.mode & 0o777, uid: after.uid}).to.deep.equal({gid: KASM_UID, mode: 0o644, uid: KASM_UID})
        expect(await readdir(dir)).to.deep.equal(['kasm owned.yaml'])
      })

      it('creates a new file with the requested mode', async () => {
        await writeHostFile(host(), join(dir, 'new.yaml'), 'a: 1\n', {mode: 0o600})
        expect((await stat(join(dir, 'new.yaml'))).mode & 0o777).to.equal(0o600)
      })

      it('stats owner, mode and size, following symlinks like /opt/kasm/current', async () => {
        const path = join(dir, 'file')
        await writeFile(path, '12345', {mode: 0o640})
        await chown(path, KASM_UID, KASM_UID)
        expect(await statHostFile(host(), path)).to.include({gid: KASM_UID, mode: 0o640, path, size: 5, uid: KASM_UID})
        expect(await statHostFile(host(), join(dir, 'nope'))).to.equal(undefined)
        await symlink(dir, join(dir, 'current'))
        expect(await resolveHostPath(host(), join(dir, 'current'))).to.equal(dir)
        expect(await resolveHostPath(host(), join(dir, 'gone'))).to.equal(undefined)
      })

      it('copies a file for backup keeping its owner, readable by that owner alone (0600: Kasm configs hold tokens), and never overwrites one', async () => {
        const path = join(dir, 'api.app.config.yaml')
        await writeFile(path, 'zone_name: default\n', {mode: 0o644})
        await chown(path, KASM_UID, KASM_UID)
        await copyHostFile(host(), path, `${path}.bak`)
        const copy = await stat(`${path}.bak`)
        expect({mode: copy.mode & 0o777, uid: copy.uid}).to.deep.equal({mode: 0o600, uid: KASM_UID})
        const error = await copyHostFile(host(), path, `${path}.bak`).catch((error_: Error) => error_)
        expect(error).to.be.instanceOf(OperationError)
        expect((error as Error).message).to.include('already exists')
      })
    })
  }
})
