import {expect} from 'chai'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {BashCompletion} from '../helpers/completion.js'
import {baseEnv, runCli} from '../helpers/cli.js'
import {useSandbox} from '../helpers/sandbox.js'
import {Terminal} from '../helpers/terminal.js'

const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

/** kasmctl's own commands, as the built manifest lists them. */
async function manifest(): Promise<Record<string, {hidden?: boolean; flags: Record<string, {options?: string[]}>}>> {
  return JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8')).commands
}

describe('autocomplete', () => {
  it('without a shell: how to turn completion on in bash and zsh', async () => {
    const result = await runCli(['autocomplete'], {env: baseEnv()})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.include('source <(kasmctl autocomplete bash)').and.include("echo 'source <(kasmctl autocomplete zsh)' >> ~/.zshrc")
    const json = JSON.parse((await runCli(['autocomplete', '--json'], {env: baseEnv()})).stdout)
    expect(json.shells.map((setup: {shell: string}) => setup.shell)).to.deep.equal(['bash', 'zsh'])
  })

  it('an unknown shell, or --context, is a usage error naming it and the valid ones', async () => {
    const fish = await runCli(['autocomplete', 'fish'], {env: baseEnv()})
    expect(fish).to.include({exitCode: 64, stdout: ''})
    expect(fish.stderr).to.include('fish').and.include('bash, zsh')
    const context = await runCli(['autocomplete', 'bash', '--context', 'lab', '--json'], {env: baseEnv()})
    expect(context.exitCode).to.equal(64)
    expect(JSON.parse(context.stdout).error.message).to.include('--context')
  })

  describe('bash: the script on stdout, sourced in a real bash', () => {
    let bash: BashCompletion
    let script: string
    before(async () => {
      const result = await runCli(['autocomplete', 'bash'], {env: baseEnv()})
      expect(result.exitCode, result.stderr).to.equal(0)
      script = result.stdout
      bash = await BashCompletion.load(script)
    })
    after(async () => bash?.close())

    it('registers _kasmctl_complete for kasmctl (what the .deb smoke test looks for), and --json carries the same script', async () => {
      expect(await bash.registration('kasmctl')).to.equal('complete -o default -F _kasmctl_complete kasmctl')
      expect(JSON.parse((await runCli(['autocomplete', 'bash', '--json'], {env: baseEnv()})).stdout)).to.deep.equal({script, shell: 'bash'})
    })

    it('completes topics and commands: kasmctl zo<TAB>, kasmctl zone <TAB>, kasmctl db logs <TAB>', async () => {
      expect(await bash.complete('kasmctl zo')).to.deep.equal(['zone'])
      expect(await bash.complete('kasmctl zone ')).to.include.members(['list', 'set', 'apply', 'diff', 'export', 'lint'])
      expect(await bash.complete('kasmctl db logs ')).to.deep.equal(['purge'])
      expect(await bash.complete('kasmctl ')).to.include.members(['help', 'autocomplete', 'health', 'zone', 'db'])
      expect(await bash.complete('kasmctl help zone l')).to.have.members(['lint', 'list'])
    })

    it('offers every visible command of the manifest, and no hidden one', async () => {
      for (const [id, command] of Object.entries(await manifest())) {
        const words = id.split(':')
        const offered = await bash.complete(`kasmctl ${words.slice(0, -1).join(' ')} `.replace('  ', ' '))
        if (command.hidden) expect(offered, id).to.not.include(words.at(-1))
        else expect(offered, id).to.include(words.at(-1))
      }
    })

    it("offers the command's flags: kasmctl zone list --<TAB>", async () => {
      expect(await bash.complete('kasmctl zone list --')).to.include.members(['--json', '--output', '--context', '--verbose', '--help'])
      expect(await bash.complete('kasmctl sandbox status --')).to.include('--output').and.not.include('--context')
      expect(await bash.complete('kasmctl help -')).to.include.members(['-n', '--nested-commands'])
    })

    it('offers the values of -o/--output as each command declares them: kasmctl health -o <TAB>', async () => {
      const commands = await manifest()
      expect(await bash.complete('kasmctl health -o ')).to.have.members(commands.health.flags.output.options!)
      expect(await bash.complete('kasmctl zone list --output ')).to.have.members(commands['zone:list'].flags.output.options!)
      expect(await bash.complete('kasmctl zone list --output=')).to.have.members(['table', 'json', 'yaml'])
      expect(await bash.complete('kasmctl autocomplete ')).to.have.members(['bash', 'zsh'])
    })
  })

  describe('names at TAB are asked of kasmctl itself (bash, against the sandbox)', () => {
    let bash: BashCompletion
    let bin: string
    let env: NodeJS.ProcessEnv
    before(async () => {
      const sandbox = await useSandbox()
      await sandbox.reset()
      bin = await mkdtemp(join(tmpdir(), 'kasmctl-bin-'))
      await writeFile(join(bin, 'kasmctl'), `#!/bin/sh\nexec '${process.execPath}' '${join(ROOT, 'bin', 'run.js')}' "$@"\n`, {mode: 0o755})
      env = sandbox.env
      bash = await BashCompletion.load((await runCli(['autocomplete', 'bash'], {env})).stdout, {...env, PATH: `${bin}:${process.env.PATH}`})
    })
    after(async () => {
      await (await useSandbox()).clearFaults()
      await bash?.close()
      await rm(bin, {force: true, recursive: true})
    })

    /** The names `kasmctl ... --json` lists under `key`, by `field`. */
    const listed = async (argv: string[], key: string, field: string): Promise<string[]> =>
      (JSON.parse((await runCli([...argv, '--json'], {env})).stdout)[key] as Array<Record<string, string>>).map((entry) => entry[field])

    it('context use <TAB> and --context <TAB>: the contexts of the config file', async () => {
      expect(await bash.complete('kasmctl context use ')).to.deep.equal(['sandbox'])
      expect(await bash.complete('kasmctl zone list --context ')).to.deep.equal(['sandbox'])
      expect(await bash.complete('kasmctl --context=s')).to.deep.equal(['sandbox'])
      expect(await bash.complete('kasmctl --context=')).to.deep.equal(['sandbox'])
    })

    it('zone get <TAB> and agent drain <TAB>: the zones and agents of the Kasm of the context on the line', async () => {
      const zones = await listed(['zone', 'list'], 'zones', 'zone_name')
      expect(zones.length).to.be.greaterThan(1)
      expect(await bash.complete('kasmctl zone get ')).to.have.members(zones)
      expect(await bash.complete('kasmctl --context sandbox zone set ')).to.have.members(zones)
      expect(await bash.complete('kasmctl agent drain ')).to.have.members(await listed(['agent', 'list'], 'agents', 'hostname'))
      expect(await bash.complete('kasmctl --context nosuch zone get ')).to.deep.equal([])
    })

    it('kasmctl __complete, run as the script runs it: one name per line, sorted; --json {names}; an unknown source is exit 64', async () => {
      const zones = await runCli(['__complete', 'zones'], {env})
      expect(zones.exitCode, zones.stderr).to.equal(0)
      const names = zones.stdout.trim().split('\n')
      expect(names).to.deep.equal([...(await listed(['zone', 'list'], 'zones', 'zone_name'))].sort())
      expect(JSON.parse((await runCli(['__complete', 'contexts', '--json'], {env})).stdout)).to.deep.equal({names: ['sandbox']})
      const unknown = await runCli(['__complete', 'images'], {env})
      expect(unknown.exitCode).to.equal(64)
      expect(unknown.stderr).to.include('images').and.include('contexts, zones, agents')
      expect((await runCli(['__complete', '--help'], {env})).stdout).to.include('EXAMPLES').and.include('EXIT CODES')
    })

    it('offers nothing when Kasm does not answer; kasmctl __complete says why on stderr, which the script drops', async () => {
      await (await useSandbox()).fault({kind: 'api-down'})
      expect(await bash.complete('kasmctl zone get ')).to.deep.equal([])
      const direct = await runCli(['__complete', 'zones'], {env})
      expect(direct.exitCode).to.not.equal(0)
      expect(direct.stdout).to.equal('')
      expect(direct.stderr).to.match(/Error: .+/)
      // The contexts come from the config file: still offered.
      expect(await bash.complete('kasmctl context show ')).to.deep.equal(['sandbox'])
    })
  })

  it('zsh: `source <(kasmctl autocomplete zsh)` in .zshrc, and TAB in an interactive zsh completes', async function () {
    this.timeout(120_000)
    const home = await mkdtemp(join(tmpdir(), 'kasmctl-zsh-'))
    const terminal = await Terminal.open('zsh-completion')
    try {
      await writeFile(join(home, 'kasmctl'), `#!/bin/sh\nexec '${process.execPath}' '${join(ROOT, 'bin', 'run.js')}' "$@"\n`, {mode: 0o755})
      await writeFile(join(home, '.zshrc'), "source <(kasmctl autocomplete zsh)\nPS1='zsh%% '\n")
      const config = join(home, 'config.yaml')
      await writeFile(config, 'contexts:\n  - name: lab\n    api: {url: "https://lab.example.com"}\n  - name: prod\n    api: {url: "https://prod.example.com"}\n', {mode: 0o600})
      await terminal.start(['exec zsh -i'], {
        HOME: home,
        KASMCTL_CONFIG: config,
        PATH: `${home}:${dirname(process.execPath)}:/usr/bin:/bin`,
        XDG_CACHE_HOME: join(home, '.cache'),
        ZDOTDIR: home,
      })
      await terminal.waitFor('zsh%')
      terminal.type('kasmctl zo')
      terminal.keys('Tab')
      await terminal.waitFor(/zsh% kasmctl zone\s*$/m)
      terminal.type('list --out')
      terminal.keys('Tab')
      await terminal.waitFor(/zsh% kasmctl zone list --output\s*$/m)
      terminal.keys('Tab')
      const values = await terminal.waitFor((screen) => /\bjson\b/.test(screen) && /\byaml\b/.test(screen))
      expect(values).to.match(/\btable\b/)
      terminal.keys('C-u')
      terminal.type('kasmctl zone list --output=y')
      terminal.keys('Tab')
      await terminal.waitFor(/zsh% kasmctl zone list --output=yaml\s*$/m)
      // A name, asked of kasmctl itself at the TAB: the contexts of the config file.
      terminal.keys('C-u')
      terminal.type('kasmctl context use p')
      terminal.keys('Tab')
      await terminal.waitFor(/zsh% kasmctl context use prod\s*$/m)
    } finally {
      await terminal.close()
      await rm(home, {force: true, recursive: true})
    }
  })
})
