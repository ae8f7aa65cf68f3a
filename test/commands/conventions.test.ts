import {type Command, Config} from '@oclif/core'
import {expect} from 'chai'
import {chmod, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {dirname, join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import {baseEnv, runCli} from '../helpers/cli.js'
import {useSandbox} from '../helpers/sandbox.js'
import {Terminal} from '../helpers/terminal.js'
import {agentState} from './agent/fixtures.js'

/** One set of conventions for every command, read from the manifest so that new commands are held to them too. */
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

interface ManifestCommand {
  id: string
  pluginName: string
  flags: Record<string, unknown>
  mutates?: boolean
  exitCodes: string[]
}

async function manifestCommands(): Promise<ManifestCommand[]> {
  const manifest = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8')) as {commands: Record<string, ManifestCommand>}
  return Object.values(manifest.commands).filter((command) => command.pluginName === 'kasmctl')
}

describe('conventions, on every command', () => {
  it('every command that declares it changes something takes --yes and --dry-run', async () => {
    const mutating = (await manifestCommands()).filter((command) => command.mutates)
    expect(mutating.map((c) => c.id)).to.include.members(['agent:enable', 'agent:disable', 'context:remove', 'context:add', 'zone:create', 'sandbox:up', 'backup:cron'])
    for (const command of mutating) {
      expect(command.flags, command.id).to.include.keys('yes', 'dry-run')
    }
  })

  it("docs/json.md lists each command's exit codes from its one declaration (regenerate: node scripts/exit-codes-doc.mjs)", async () => {
    const script = join(ROOT, 'scripts', 'exit-codes-doc.mjs') // plain JS, run by `node` after a build: no types to import
    const {withExitCodes} = (await import(script)) as {withExitCodes: (markdown: string, manifest: unknown) => string}
    const markdown = await readFile(join(ROOT, 'docs', 'json.md'), 'utf8')
    const manifest = JSON.parse(await readFile(join(ROOT, 'oclif.manifest.json'), 'utf8'))
    expect(withExitCodes(markdown, manifest), 'docs/json.md is stale').to.equal(markdown)
    expect(markdown).to.include('| `context list` | 0, 1, 64 |').and.include('| `zone diff` | 0 (no differences), 1 (differences found), 2 (the diff could not be computed (API error)), 64, 69, 77 |')
  })

  it('--help lists only the exit codes the command can return', async () => {
    const help = await runCli(['context', 'list', '--help'], {env: baseEnv()})
    const section = help.stdout.slice(help.stdout.indexOf('EXIT CODES'))
    expect(section).to.include('64  usage error').and.not.include('69').and.not.include('75')
    const rotate = await runCli(['agent', 'rotate', '--help'], {env: baseEnv()})
    expect(rotate.stdout.slice(rotate.stdout.indexOf('EXIT CODES'))).to.include('75  another kasmctl run holds the lock').and.include('130 interrupted')
  })

  it('every --help has a usage line without empty alternatives, EXIT CODES, and ENVIRONMENT with every KASMCTL_* variable kasmctl reads', async () => {
    const sources = [
      ...(await readdir(join(ROOT, 'src'), {recursive: true})).filter((file) => file.endsWith('.ts')).map((file) => join('src', file)),
      ...(await readdir(join(ROOT, 'bin'))).map((file) => join('bin', file)),
    ]
    const read = new Set<string>()
    for (const file of sources) {
      const text = await readFile(join(ROOT, file), 'utf8')
      const constants = new Set([...text.matchAll(/const (KASMCTL_\w+) =/g)].map((m) => m[1]))
      for (const [name] of text.matchAll(/\bKASMCTL_[A-Z][A-Z_]*\b/g)) if (!constants.has(name)) read.add(name)
    }

    expect(read).to.include('KASMCTL_API_URL')
    const config = await Config.load({root: ROOT})
    const {default: KasmctlHelp} = await import('../../src/help.js')
    // formatCommand is what `kasmctl CMD --help` prints; it is protected, hence the subclass.
    const help = new (class extends KasmctlHelp {
      commandHelp(command: Command.Loadable): string {
        return this.formatCommand(command)
      }
    })(config)
    for (const command of config.commands.filter((c) => c.pluginName === 'kasmctl')) {
      const text = help.commandHelp(command)
      expect(text, command.id).to.not.match(/\| \]|\[ \||\|\s*\|/)
      expect(text, command.id).to.include('EXIT CODES')
      const environment = text.slice(text.indexOf('ENVIRONMENT'))
      for (const name of read) expect(environment, `${command.id}: ${name}`).to.include(name)
    }

    expect(help.commandHelp(config.findCommand('agent:drain')!)).to.include('[--detach]').and.include('[--force]')
  })

  it('--context given to a command that uses none is a usage error, not ignored', async () => {
    for (const argv of [['sandbox', 'status', '--context', 'lab'], ['--context', 'lab', 'context', 'list']]) {
      const result = await runCli([...argv, '--json'], {env: baseEnv()})
      expect(result.exitCode, argv.join(' ')).to.equal(64)
      expect(JSON.parse(result.stdout).error.message, argv.join(' ')).to.include('--context')
    }
  })

  describe('contexts', () => {
    let dir: string
    let env: NodeJS.ProcessEnv
    const config = 'currentContext: a\ncontexts:\n  - name: a\n    api: {url: "https://a"}\n  - name: b\n    api: {url: "https://b"}\n'
    before(async () => {
      dir = await mkdtemp(join(tmpdir(), 'kasmctl-conventions-'))
      env = baseEnv({KASMCTL_CONFIG: join(dir, 'config.yaml')})
      await writeFile(join(dir, 'config.yaml'), config, {mode: 0o600})
    })
    after(async () => rm(dir, {force: true, recursive: true}))

    it('warnings are in the JSON document too (`warnings`), next to the usual keys or the error', async () => {
      await chmod(join(dir, 'config.yaml'), 0o644)
      try {
        const current = await runCli(['context', 'current', '--json'], {env})
        const document = JSON.parse(current.stdout)
        expect(document).to.include({name: 'a', source: 'current-context'})
        expect(document.warnings).to.be.an('array').with.length(1)
        expect(document.warnings[0]).to.include('is readable by others')
        expect(current.stderr).to.include('Warning:')
        const failed = JSON.parse((await runCli(['zone', 'list', '--json'], {env})).stdout)
        expect(failed.error.exitCode).to.be.greaterThan(0)
        expect(failed.warnings[0]).to.include('is readable by others')
      } finally {
        await chmod(join(dir, 'config.yaml'), 0o600)
      }
    })

    it('context add, use and remove --dry-run check and report, and change nothing', async () => {
      const remove = await runCli(['context', 'remove', 'a', '--dry-run', '--json'], {env})
      expect(JSON.parse(remove.stdout)).to.deep.equal({current: null, dryRun: true, removed: 'a'})
      const use = await runCli(['context', 'use', 'b', '--dry-run', '--yes'], {env})
      expect(use.stdout.trim()).to.equal('Would switch to context "b".')
      const add = await runCli(['context', 'add', 'c', '--api-url', 'https://c', '--api-key', 'k', '--api-secret-env', 'S', '--dry-run', '--json'], {env})
      expect(JSON.parse(add.stdout)).to.include({dryRun: true, name: 'c'})
      const missing = await runCli(['context', 'remove', 'zz', '--dry-run'], {env})
      expect(missing.exitCode).to.equal(64)
      expect(await readFile(join(dir, 'config.yaml'), 'utf8')).to.equal(config)
    })
  })

  it('a prompt under --json writes to stderr: stdout is only the JSON document (on a real terminal)', async () => {
    const sandbox = await useSandbox()
    await sandbox.reset()
    const terminal = await Terminal.open('json-prompt')
    const out = join(await mkdtemp(join(tmpdir(), 'kasmctl-json-prompt-')), 'out.json')
    try {
      const {HOME, KASMCTL_CONFIG, PATH, XDG_DATA_HOME} = sandbox.env
      await terminal.run(`zone delete enclave --json > ${out}`, {HOME, KASMCTL_CONFIG, NO_COLOR: '1', PATH, XDG_DATA_HOME})
      await terminal.waitFor('Type "enclave" to confirm')
      terminal.type('nope')
      terminal.keys('Enter')
      expect(await terminal.waitFor('exit=')).to.include('exit=1')
      const document = JSON.parse(await readFile(out, 'utf8'))
      expect(document.error).to.include({exitCode: 1})
    } finally {
      await terminal.close()
      await rm(dirname(out), {force: true, recursive: true})
    }
  })

  describe('agents (sandbox)', () => {
    it('agent disable, like agent drain, needs --yes when stdin is not a terminal, and changes nothing without it', async () => {
      const sandbox = await useSandbox()
      await sandbox.reset()
      const refused = await runCli(['agent', 'disable', 'agent-1', '--ignore-capacity', '--json'], {env: sandbox.env})
      expect(refused.exitCode).to.equal(64)
      expect(JSON.parse(refused.stdout).error).to.include({code: 'USAGE', hint: 're-run with --yes to confirm'})
      const drain = await runCli(['agent', 'drain', 'agent-1', '--ignore-capacity', '--json'], {env: sandbox.env})
      expect(drain.exitCode).to.equal(64)
      expect((await agentState(sandbox, 'agent-1')).enabled).to.equal(true)
    })

    it('agent enable --dry-run (and --yes, which it has nothing to ask) changes nothing', async () => {
      const sandbox = await useSandbox()
      await sandbox.reset()
      expect((await runCli(['agent', 'disable', 'agent-1', '--ignore-capacity', '--yes'], {env: sandbox.env})).exitCode).to.equal(0)
      const dryRun = await runCli(['agent', 'enable', 'agent-1', '--dry-run', '--yes', '--json'], {env: sandbox.env})
      expect(dryRun.exitCode, dryRun.stderr).to.equal(0)
      expect(JSON.parse(dryRun.stdout)).to.deep.include({dry_run: true})
      expect(JSON.parse(dryRun.stdout).agents[0]).to.include({changed: true, enabled: true, hostname: 'agent-1'})
      expect((await agentState(sandbox, 'agent-1')).enabled).to.equal(false)
      expect((await runCli(['agent', 'enable', 'agent-1', '--yes'], {env: sandbox.env})).exitCode).to.equal(0)
      expect((await agentState(sandbox, 'agent-1')).enabled).to.equal(true)
    })
  })
})
