import {expect} from 'chai'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

interface Session {
  kasm_id: string
  hostname: string
  username: string
  zone_name: string
}

describe('session list / destroy', () => {
  let sandbox: TestSandbox
  const kasmctl = (...args: string[]) => runCli(args, {env: sandbox.env})
  const list = async (...args: string[]): Promise<Session[]> => JSON.parse((await kasmctl('session', 'list', '--json', ...args)).stdout).sessions

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
  })

  it('lists every session with its user, agent, zone and expiry, filtered by agent, zone and user', async () => {
    const all = await list()
    expect(all.length).to.be.at.least(15)
    expect(Object.keys(all[0])).to.deep.equal([
      'kasm_id', 'user_id', 'username', 'server_id', 'hostname', 'zone_name', 'image', 'operational_status', 'cores', 'memory',
      'created_date', 'start_date', 'keepalive_date', 'expiration_date', 'age_seconds', 'expires_in_seconds',
    ])
    const onAgent = await list('--agent', 'agent-4')
    expect(onAgent.map((s) => s.hostname)).to.deep.equal(['agent-4', 'agent-4'])
    const east = await list('--zone', 'east')
    expect(east.map((s) => s.zone_name)).to.deep.equal(east.map(() => 'east'))
    expect(east).to.have.length(all.filter((s) => s.zone_name === 'east').length)
    const user = all[0].username
    expect((await list('--user', user.toUpperCase())).every((s) => s.username === user)).to.equal(true)
    const table = await kasmctl('session', 'list', '--agent', 'agent-4')
    expect(table.stdout).to.match(/^SESSION\s+USER\s+AGENT\s+ZONE\s+IMAGE\s+STATUS\s+AGE\s+EXPIRES IN\n[\da-f]{8}\s+user\d+@kasm\.local\s+agent-4\s+east/)
  })

  it('destroys sessions by id prefix after confirmation, and never prompts without a terminal', async () => {
    const [first, second] = await list('--agent', 'agent-5')
    const unconfirmed = await kasmctl('session', 'destroy', first.kasm_id.slice(0, 8))
    expect(unconfirmed.exitCode).to.equal(64)
    expect(unconfirmed.stderr).to.include('re-run with --yes')
    const dryRun = await kasmctl('session', 'destroy', first.kasm_id.slice(0, 8), '--dry-run')
    expect(dryRun.stdout).to.include(`would destroy session ${first.kasm_id.slice(0, 8)} (${first.username} on agent-5) (dry run)`)
    expect(await list('--agent', 'agent-5')).to.have.length(3)

    const destroyed = await kasmctl('session', 'destroy', first.kasm_id.slice(0, 8), second.kasm_id, '--yes', '--json')
    expect(destroyed.exitCode, destroyed.stdout).to.equal(0)
    expect(JSON.parse(destroyed.stdout).sessions.map((s: {destroyed: boolean; kasm_id: string}) => [s.kasm_id, s.destroyed])).to.deep.equal([
      [first.kasm_id, true],
      [second.kasm_id, true],
    ])
    expect((await list('--agent', 'agent-5')).map((s) => s.kasm_id)).to.not.include.members([first.kasm_id, second.kasm_id])
  })

  it('destroys a session without an owner (staged) by sending no user_id, as an admin destroy (SESSIONS_DELETE 803)', async () => {
    const [staged] = await list('--agent', 'agent-4')
    const db = await sandbox.db()
    try {
      await db.query('UPDATE kasms SET user_id = NULL WHERE kasm_id = $1', [staged.kasm_id])
      const destroyed = await kasmctl('session', 'destroy', staged.kasm_id, '--yes', '--json')
      expect(destroyed.exitCode, destroyed.stdout + destroyed.stderr).to.equal(0)
      expect(JSON.parse(destroyed.stdout).sessions).to.deep.include({destroyed: true, hostname: 'agent-4', kasm_id: staged.kasm_id, username: null})
      const {rows} = await db.query("SELECT destroy_reason FROM accounting WHERE replace(kasm_id::text, '-', '') = $1", [staged.kasm_id])
      expect(rows.map((r) => r.destroy_reason)).to.deep.equal(['admin_destroyed'])
    } finally {
      await db.end()
    }
  })

  it('rejects an unknown session id without destroying anything (exit 64)', async () => {
    const before = await list()
    const result = await kasmctl('session', 'destroy', 'ffffffff', '--yes')
    expect(result.exitCode).to.equal(64)
    expect(result.stderr).to.include('no session "ffffffff"')
    expect(await list()).to.have.length(before.length)
  })
})
