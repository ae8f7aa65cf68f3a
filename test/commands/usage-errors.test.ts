import {Config, type Command} from '@oclif/core'
import {expect} from 'chai'
import {createHash} from 'node:crypto'
import {mkdir, mkdtemp, readdir, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

import type {RangedFlag} from '../../src/flags.js'
import {baseEnv, runCli} from '../helpers/cli.js'

/**
 * Every command, read from the oclif manifest (so commands added later are walked too), given a
 * flag without its value, an unknown flag, an extra argument and every number or duration out of
 * its declared range: each is a usage error with the command's declared exit code (64, or 3 for
 * monitoring-plugin commands: `static usageExitCode`), a message naming the bad value, one JSON
 * error document under --json, and no file written. Runs in-process (fast); a few checks at the
 * end run the built CLI as a user would.
 */
const ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)))

interface Outcome {
  exitCode: number | undefined
  stdout: string
  stderr: string
}

interface Case {
  what: string
  argv: string[]
  /** The bad value, as the message must name it. */
  names: string
}

type LoadedCommand = Command.Class & {usageExitCode?: number; baseFlags?: Record<string, unknown>}

describe('usage errors, on every command', function () {
  let config: Config
  let home: string
  const savedEnv = {...process.env}

  before(async () => {
    config = await Config.load({root: ROOT})
    home = await mkdtemp(join(tmpdir(), 'kasmctl-usage-'))
    await mkdir(join(home, 'config'), {mode: 0o700})
    await writeFile(join(home, 'config', 'config.yaml'), 'currentContext: walk\ncontexts:\n  - name: walk\n    api:\n      url: http://127.0.0.1:9\n', {mode: 0o600})
    const env = baseEnv({
      HOME: home,
      KASMCTL_CONFIG: join(home, 'config', 'config.yaml'),
      XDG_CACHE_HOME: join(home, 'cache'),
      XDG_CONFIG_HOME: join(home, 'config'),
      XDG_DATA_HOME: join(home, 'data'),
      XDG_STATE_HOME: join(home, 'state'),
    })
    for (const [name, value] of Object.entries(env)) if (value !== undefined) process.env[name] = value
    delete process.env.KASMCTL_CONTEXT
    delete process.env.KASMCTL_API_URL
  })

  after(async () => {
    // The real environment, not a new object: os.tmpdir() and child processes read the process's own.
    for (const name of Object.keys(process.env)) if (!(name in savedEnv)) delete process.env[name]
    Object.assign(process.env, savedEnv)
    await rm(home, {force: true, recursive: true})
  })

  /** Runs one command line in this process, capturing what it prints and the exit code it sets. */
  async function run(argv: string[]): Promise<Outcome> {
    const stdout: string[] = []
    const stderr: string[] = []
    const writes = {err: process.stderr.write, out: process.stdout.write}
    process.stdout.write = ((chunk: string) => stdout.push(String(chunk)) > 0) as typeof process.stdout.write
    process.stderr.write = ((chunk: string) => stderr.push(String(chunk)) > 0) as typeof process.stderr.write
    let exitCode: number | undefined
    try {
      const [id, ...rest] = argv
      await config.runCommand(id, rest)
      exitCode = typeof process.exitCode === 'number' ? process.exitCode : 0
    } catch (error) {
      exitCode = (error as {oclif?: {exit?: number}}).oclif?.exit ?? -1
    } finally {
      process.stdout.write = writes.out
      process.stderr.write = writes.err
      process.exitCode = undefined
    }

    return {exitCode, stderr: stderr.join(''), stdout: stdout.join('')}
  }

  async function expectUsageError(argv: string[], names: string, exitCode: number): Promise<void> {
    const human = await run(argv)
    const line = `kasmctl ${argv.join(' ')}`
    expect(human.exitCode, `${line}\n${human.stderr}`).to.equal(exitCode)
    expect(human.stdout, line).to.equal('')
    expect(human.stderr, line).to.include(names).and.to.match(/^Error: /)

    const json = await run([...argv, '--json'])
    expect(json.exitCode, `${line} --json\n${json.stdout}`).to.equal(exitCode)
    const {error} = JSON.parse(json.stdout)
    expect(error, `${line} --json`).to.include({code: 'USAGE', exitCode})
    expect(error.message, `${line} --json`).to.include(names)
  }

  function casesFor(id: string, command: LoadedCommand): Case[] {
    const flags = {...command.baseFlags, ...command.flags} as Record<string, {type: string; options?: readonly string[]} & Partial<RangedFlag>>
    const args = Object.values(command.args ?? {})
    // A valid value for each declared argument, so that the case under test is the only thing wrong.
    const given = args.filter((arg) => arg.required || command.strict !== false).map((arg) => arg.options?.[0] ?? 'some-name')
    const cases: Case[] = [{argv: [...given, '--no-such-flag'], names: '--no-such-flag', what: 'an unknown flag'}]
    if (command.strict !== false) cases.push({argv: [...given, 'unexpected-extra'], names: 'unexpected-extra', what: 'an extra argument'})
    for (const [name, flag] of Object.entries(flags)) {
      if (flag.type !== 'option') continue
      cases.push({argv: [...given, `--${name}`], names: `--${name}`, what: `--${name} without its value`})
      if (!flag.range) continue
      const beyond = flag.kind === 'duration' ? `${flag.range.max + 1}ms` : String(flag.range.max + 1)
      const below = flag.kind === 'duration' ? `${flag.range.min - 1}ms` : String(flag.range.min - 1)
      const huge = flag.kind === 'duration' ? '99999999999999d' : '99999999999999999999'
      for (const value of [beyond, huge, ...(flag.range.min > 0 ? [below] : [])]) {
        cases.push({argv: [...given, `--${name}`, value], names: value, what: `--${name} ${value} (out of range)`})
      }
    }

    return cases
  }

  it('are usage errors with the declared exit code, naming the value, JSON under --json, changing nothing', async function () {
    this.timeout(300_000)
    const ids = config.commands.filter((c) => c.pluginName === 'kasmctl').map((c) => c.id)
    expect(ids.length, 'commands in the manifest').to.be.greaterThan(40)
    const before = await snapshot(home)
    let walked = 0
    for (const id of ids) {
      const command = (await config.findCommand(id)!.load()) as LoadedCommand
      const exitCode = command.usageExitCode ?? 64
      for (const {argv, names} of casesFor(id, command)) {
        await expectUsageError([id, ...argv], names, exitCode)
        walked++
      }
    }

    expect(walked, 'cases walked').to.be.greaterThan(ids.length * 4)
    expect(await snapshot(home), 'files under HOME, config and data directories').to.deep.equal(before)
  })

  it('declares every number and duration flag with its range (integerFlag / durationFlag), never a bare Flags.integer', async () => {
    const sources = await readdir(join(ROOT, 'src'), {recursive: true})
    for (const file of sources.filter((f) => f.endsWith('.ts'))) {
      expect(await readFile(join(ROOT, 'src', file), 'utf8'), file).to.not.match(/Flags\.integer\(/)
    }
  })

  it('treats an unknown command, or global flags alone, as a usage error (64) with JSON under --json', async () => {
    await expectUsageError(['nosuch'], '"nosuch"', 64)
    await expectUsageError(['zone', 'nosuch'], '"zone nosuch"', 64)
    const json = await run(['--json'])
    expect(json.exitCode).to.equal(64)
    expect(JSON.parse(json.stdout).error).to.include({code: 'USAGE', message: 'no command given'})
  })

  it('takes global flags before the command, kubectl style (--context, -o, --json)', async () => {
    for (const argv of [['--context', 'walk', 'context', 'current', '-o', 'json'], ['-o', 'json', '--context=walk', 'context', 'current'], ['--json', 'context', 'current']]) {
      const outcome = await run(argv)
      expect(outcome.exitCode, `${argv.join(' ')}\n${outcome.stderr}`).to.equal(0)
      expect(JSON.parse(outcome.stdout), argv.join(' ')).to.include({name: 'walk'})
    }

    const missing = await run(['--context', 'nosuch', '--json', 'context', 'current'])
    expect(JSON.parse(missing.stdout).error).to.include({code: 'NOT_FOUND', exitCode: 64})
  })

  it('the built CLI: the same, as a user runs it', async () => {
    const env = {...process.env}
    const globalFirst = await runCli(['--context', 'walk', '--json', 'context', 'current'], {env})
    expect(globalFirst.exitCode, globalFirst.stderr).to.equal(0)
    expect(JSON.parse(globalFirst.stdout)).to.include({name: 'walk'})

    const help = await runCli(['--context', 'walk', 'zone', 'list', '--help'], {env})
    expect(help.stdout).to.match(/^List deployment zones/)

    const noValue = await runCli(['zone', 'list', '--context', '--json'], {env})
    expect(noValue.exitCode).to.equal(64)
    expect(JSON.parse(noValue.stdout).error).to.include({code: 'USAGE', message: 'Flag --context expects a value'})

    const unknown = await runCli(['nosuch', '--json'], {env})
    expect(unknown.exitCode).to.equal(64)
    expect(JSON.parse(unknown.stdout).error.message).to.include('nosuch')

    // Nagios reads 1 as WARNING: a monitoring command's usage error is UNKNOWN (3).
    const extra = await runCli(['health', 'extra'], {env})
    expect(extra).to.include({exitCode: 3, stdout: ''})
    expect(extra.stderr).to.include('Unexpected argument: extra')

    const watch = await runCli(['health', '--watch', '30d'], {env})
    expect(watch.exitCode).to.equal(3)
    expect(watch.stderr).to.include('--watch "30d" is out of range')
  })
})

/** Every file under `dir` with a hash of its content: what "changed nothing" is checked against. */
async function snapshot(dir: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {}
  for (const entry of await readdir(dir, {recursive: true, withFileTypes: true})) {
    const path = join(entry.parentPath, entry.name)
    out[path] = entry.isFile() ? createHash('sha256').update(await readFile(path)).digest('hex') : entry.isDirectory() ? 'dir' : 'other'
  }

  return out
}
