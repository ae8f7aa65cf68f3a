import {expect} from 'chai'

import {useSandbox} from '../../helpers/sandbox.js'
import {Terminal} from '../../helpers/terminal.js'
import {envOnlyContext} from '../zone/zone-cli.js'

/** On a real terminal (tmux): `autoscale set` shows what will be sent and asks before sending. */
describe('kasmctl autoscale set on a terminal', () => {
  let terminal: Terminal

  before(async () => {
    await (await useSandbox()).reset()
    terminal = await Terminal.open('autoscale-prompt')
  })
  after(async () => terminal.close())

  it('shows the changes, asks, and sends only after yes', async () => {
    const sandbox = await useSandbox()
    await terminal.run('autoscale set rdp-autoscale --min-available 5', await envOnlyContext(sandbox))
    const question = await terminal.waitFor('with these changes?')
    expect(question).to.include('autoscale config rdp-autoscale will change (the whole config is sent):\n  minimum_pool_standby_sessions: 2 → 5')
    terminal.keys('y', 'Enter')
    const done = await terminal.waitFor('exit=')
    expect(done).to.include('changed (the whole config was sent)').and.include('exit=0')
    const client = await sandbox.client()
    try {
      const [rdp] = (await client.getAutoscaleConfigs()).filter((c) => c.autoscale_config_name === 'rdp-autoscale')
      expect(rdp.minimum_pool_standby_sessions).to.equal(5)
    } finally {
      client.close()
      await sandbox.reset()
    }
  })
})
