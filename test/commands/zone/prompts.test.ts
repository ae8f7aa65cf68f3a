import {expect} from 'chai'
import {readFile} from 'node:fs/promises'

import {useSandbox} from '../../helpers/sandbox.js'
import {Terminal} from '../../helpers/terminal.js'

/**
 * The prompts, on a real terminal (tmux), driven as a person would: read the screen, press keys.
 * `zone set` with no ZONE and no default zone offers a pick list; `zone delete` asks for the name.
 */
describe('kasmctl zone set / delete on a terminal', () => {
  let terminal: Terminal

  before(async () => {
    await (await useSandbox()).reset()
    terminal = await Terminal.open('zone-prompts')
  })
  after(async () => terminal.close())

  /** Runs kasmctl on the terminal against the sandbox through the environment-only context (no default zone). */
  async function startOnTerminal(args: string): Promise<void> {
    const {context, env} = await useSandbox()
    const secret = (await readFile(context.api.secret!.file!, 'utf8')).trim()
    await terminal.run(args, {
      HOME: env.HOME,
      KASMCTL_API_KEY: context.api.key,
      KASMCTL_API_SECRET: secret,
      KASMCTL_API_URL: context.api.url,
      KASMCTL_CA_FILE: context.api.tls!.caFile,
      KASMCTL_CONFIG: '/nonexistent/kasmctl.yaml',
      NO_COLOR: '1',
      PATH: env.PATH,
    })
  }

  it('offers a pick list of the zones when no ZONE is given and the context has no default zone', async () => {
    const sandbox = await useSandbox()
    await startOnTerminal('zone set --no-search-alternate')
    const prompt = await terminal.waitFor('Which zone?')
    expect(prompt).to.include('default').and.include('east').and.include('enclave')
    terminal.keys('Down', 'Enter')
    const done = await terminal.waitFor('exit=')
    expect(done).to.include('search_alternate_zones: true → false').and.include('exit=0')

    const client = await sandbox.client()
    try {
      const zones = await client.getZones({brief: true})
      expect(zones.find((z) => z.zone_name === 'east')?.search_alternate_zones).to.equal(false)
      expect(zones.find((z) => z.zone_name === 'default')?.search_alternate_zones).to.equal(true)
    } finally {
      client.close()
    }
  })

  it('zone delete asks to type the zone name, and deletes only after it is typed', async () => {
    const sandbox = await useSandbox()
    const client = await sandbox.client()
    try {
      await client.createZone({zone_name: 'scratch'})
      await startOnTerminal('zone delete scratch')
      await terminal.waitFor('Type "scratch" to confirm')
      terminal.type('scratch')
      terminal.keys('Enter')
      expect(await terminal.waitFor('exit=')).to.include('exit=0')
      expect((await client.getZones({brief: true})).map((z) => z.zone_name)).to.not.include('scratch')
    } finally {
      client.close()
    }
  })
})
