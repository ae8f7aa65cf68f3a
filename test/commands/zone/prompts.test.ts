import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'

import {useSandbox} from '../../helpers/sandbox.js'

/**
 * The prompts, on a real terminal (tmux), driven as a person would: read the screen, press keys.
 * `zone set` with no ZONE and no default zone offers a pick list; `zone delete` asks for the name.
 */
describe('kasmctl zone set / delete on a terminal', () => {
  const session = `kasmctl-zone-set-${process.pid}`
  let dir: string

  before(async () => {
    await (await useSandbox()).reset()
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-tty-'))
  })
  after(async () => {
    spawnSync('tmux', ['kill-session', '-t', session])
    await rm(dir, {force: true, recursive: true})
  })

  const screen = () => spawnSync('tmux', ['capture-pane', '-p', '-t', session], {encoding: 'utf8'}).stdout
  async function waitForScreen(text: string): Promise<string> {
    const deadline = Date.now() + 30_000
    while (Date.now() < deadline) {
      if (screen().includes(text)) return screen()
      await new Promise((r) => setTimeout(r, 100))
    }

    throw new Error(`"${text}" never appeared on the terminal:\n${screen()}`)
  }

  /** Runs kasmctl in a fresh tmux window, against the sandbox through the environment-only context (no default zone). */
  async function startOnTerminal(args: string): Promise<void> {
    spawnSync('tmux', ['kill-session', '-t', session])
    const {context} = await useSandbox()
    const secret = (await readFile(context.api.secret!.file!, 'utf8')).trim()
    const bin = resolve(process.env.KASMCTL_TEST_BIN ?? 'bin/run.js')
    const script = join(dir, 'run.sh')
    await writeFile(
      script,
      [
        `export KASMCTL_CONFIG=${join(dir, 'none.yaml')} KASMCTL_API_URL=${context.api.url} KASMCTL_API_KEY=${context.api.key}`,
        `export KASMCTL_API_SECRET='${secret}' KASMCTL_CA_FILE=${context.api.tls!.caFile} NO_COLOR=1`,
        `${process.execPath} ${bin.endsWith('dev.js') ? '--import tsx ' : ''}${bin} ${args}; echo "exit=$?"; sleep 30`,
      ].join('\n'),
      {mode: 0o700},
    )
    spawnSync('tmux', ['new-session', '-d', '-s', session, '-x', '120', '-y', '30', `sh ${script}`])
  }

  it('offers a pick list of the zones when no ZONE is given and the context has no default zone', async () => {
    const sandbox = await useSandbox()
    await startOnTerminal('zone set --no-search-alternate')
    const prompt = await waitForScreen('Which zone?')
    expect(prompt).to.include('default').and.include('east').and.include('enclave')
    spawnSync('tmux', ['send-keys', '-t', session, 'Down'])
    spawnSync('tmux', ['send-keys', '-t', session, 'Enter'])
    const done = await waitForScreen('exit=')
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
      await waitForScreen('Type "scratch" to confirm')
      spawnSync('tmux', ['send-keys', '-t', session, '-l', 'scratch'])
      spawnSync('tmux', ['send-keys', '-t', session, 'Enter'])
      expect(await waitForScreen('exit=')).to.include('exit=0')
      expect((await client.getZones({brief: true})).map((z) => z.zone_name)).to.not.include('scratch')
    } finally {
      client.close()
    }
  })
})
