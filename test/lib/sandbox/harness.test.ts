import {expect} from 'chai'

import {AuthError, UnavailableError} from '../../../src/lib/errors.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

// The test harness other tests build on: every handle reaches the real sandbox.
describe('test harness: useSandbox()', () => {
  let sandbox: TestSandbox

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  after(async () => {
    await sandbox.reset()
  })

  it('is one sandbox per mocha process', async () => {
    expect(await useSandbox()).to.equal(sandbox)
  })

  it('gives an env that points the CLI at the sandbox context', () => {
    expect(sandbox.env).to.include({KASMCTL_SANDBOX_DIR: sandbox.dir, NO_COLOR: '1'})
    expect(sandbox.env.KASMCTL_CONFIG).to.be.a('string')
    expect(sandbox.context.name).to.equal('sandbox')
  })

  it('gives API clients for the admin, read-only and ZONES_VIEW-only keys', async () => {
    const [admin, limited] = [await sandbox.client(), await sandbox.client('limited')]
    try {
      expect(await admin.getServers()).to.have.length(8)
      expect(await limited.getZones()).to.have.length(3)
      const refused = await limited.getServers().catch((error: unknown) => error)
      expect(refused).to.be.instanceOf(AuthError)
    } finally {
      admin.close()
      limited.close()
    }
  })

  it('sets and clears faults the web apps really show', async () => {
    const url = `http://127.0.0.1:${sandbox.state.webapps[1].port}/api/__healthcheck`
    await sandbox.fault({kind: 'webapp-status', status: 503, target: 'webapp-2'})
    expect((await fetch(url)).status).to.equal(503)
    await sandbox.clearFaults()
    expect((await fetch(url)).status).to.equal(200)
  })

  it('stops and starts a web app', async () => {
    const url = `http://127.0.0.1:${sandbox.state.webapps[0].port}/api/__healthcheck`
    await sandbox.stopWebapp('webapp-1')
    expect(await fetch(url).catch((error: Error) => error)).to.be.instanceOf(Error)
    await sandbox.startWebapp('webapp-1')
    expect((await fetch(url)).status).to.equal(200)
  })

  it('stops and starts the database', async () => {
    await sandbox.stopDatabase()
    expect(await sandbox.db().catch((error: unknown) => error)).to.be.instanceOf(UnavailableError)
    await sandbox.startDatabase()
    const db = await sandbox.db()
    await db.end()
  })

  it('tick makes the agents check in now', async () => {
    const db = await sandbox.db()
    try {
      await db.query("UPDATE servers SET last_reported = last_reported - interval '1 hour' WHERE hostname = 'agent-1'")
      await sandbox.tick()
      const {rows} = await db.query(
        "SELECT extract(epoch FROM (now() AT TIME ZONE 'utc') - last_reported)::float AS age FROM servers WHERE hostname = 'agent-1'",
      )
      expect(rows[0].age).to.be.below(60)
    } finally {
      await db.end()
    }
  })
})
