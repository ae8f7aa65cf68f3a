import {expect} from 'chai'
import {mkdtemp, readFile, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {bashScript} from '../../../src/lib/completion/bash.js'
import {completionScript, renderShellSetups, shellSetups} from '../../../src/lib/completion/shells.js'
import {type CommandDeclaration, completionTree, type FlagDeclaration} from '../../../src/lib/completion/tree.js'
import {BashCompletion} from '../../helpers/completion.js'

/** A small CLI, declared as oclif's manifest declares commands: the script is generated from this data alone. */
const GLOBAL: Record<string, FlagDeclaration> = {
  context: {type: 'option'},
  output: {char: 'o', options: ['table', 'json', 'yaml'], type: 'option'},
  verbose: {type: 'boolean'},
}
const COMMANDS: CommandDeclaration[] = [
  {flags: {...GLOBAL, all: {char: 'a', type: 'boolean'}}, id: 'zone:list'},
  {
    args: {zone: {}},
    flags: {
      ...GLOBAL,
      file: {char: 'f', type: 'option'},
      strategy: {options: ['spread', 'pack'], type: 'option'},
      prune: {allowNo: true, type: 'boolean'},
      'keep-days': {deprecated: {to: 'keep-age'}, type: 'option'},
      internal: {hidden: true, type: 'boolean'},
      'reverse-proxy': {aliases: ['proxy'], deprecateAliases: true, type: 'option'},
      checksums: {aliases: ['verify'], type: 'boolean'},
    },
    id: 'zone:apply',
  },
  {flags: GLOBAL, id: 'db:logs:purge'},
  {args: {kind: {options: ['api-down', 'db-stop']}}, flags: GLOBAL, id: 'sandbox:fault'},
  {flags: GLOBAL, hidden: true, id: 'zone:secret'},
  // A command with a deprecated alias and one with a current alias, each alias listed as oclif lists it: one more command.
  {aliases: ['zone:ls'], deprecateAliases: true, flags: GLOBAL, id: 'zone:show'},
  {aliases: ['zone:ls'], deprecateAliases: true, flags: GLOBAL, id: 'zone:ls'},
  {aliases: ['db:logs:prune'], flags: GLOBAL, id: 'db:logs:prune'},
  {flags: GLOBAL, hidden: true, id: 'debug'},
  {args: {command: {}}, flags: {...GLOBAL, 'nested-commands': {char: 'n', type: 'boolean'}}, id: 'help'},
]

describe('bash completion script', () => {
  let bash: BashCompletion
  before(async () => {
    bash = await BashCompletion.load(bashScript(completionTree('mycli', COMMANDS, GLOBAL, {helpCommand: 'help'})))
  })
  after(async () => bash.close())

  it('registers its function for the CLI, falling back to file names where it has nothing to offer', async () => {
    expect(await bash.registration('mycli')).to.equal('complete -o default -F _mycli_complete mycli')
  })

  it('offers the topics and commands at each level, completing a prefix', async () => {
    expect(await bash.complete('mycli ')).to.have.members(['db', 'help', 'sandbox', 'zone'])
    expect(await bash.complete('mycli zo')).to.deep.equal(['zone'])
    expect(await bash.complete('mycli zone ')).to.have.members(['apply', 'list', 'show'])
    expect(await bash.complete('mycli db ')).to.deep.equal(['logs'])
    expect(await bash.complete('mycli db logs ')).to.have.members(['prune', 'purge'])
  })

  it('leaves hidden commands and deprecated aliases out, and words after a command are not sub-commands', async () => {
    expect(await bash.complete('mycli zone l')).to.deep.equal(['list'])
    expect(await bash.complete('mycli ')).to.not.include('debug')
    expect(await bash.complete('mycli zone ')).to.not.include('secret')
    expect(await bash.complete('mycli zone se')).to.deep.equal([])
    expect(await bash.complete('mycli zone list ')).to.deep.equal([])
    expect(await bash.complete('mycli nosuch ')).to.deep.equal([])
  })

  it("offers the command's flags, long and short, --no- forms and aliases, but no hidden or deprecated ones", async () => {
    const flags = await bash.complete('mycli zone apply -')
    expect(flags).to.include.members(['--context', '--output', '-o', '--verbose', '--help', '--file', '-f', '--strategy', '--prune', '--no-prune', '--checksums', '--verify', '--reverse-proxy'])
    expect(flags).to.not.include.members(['--keep-days', '--internal', '--proxy', '--version'])
    expect(await bash.complete('mycli zone list --')).to.have.members(['--context', '--output', '--verbose', '--all', '--help'])
    expect(await bash.complete('mycli zone list --a')).to.deep.equal(['--all'])
  })

  it('offers the global flags before the command, and finds the command after them', async () => {
    expect(await bash.complete('mycli --')).to.have.members(['--context', '--output', '--verbose', '--help', '--version'])
    expect(await bash.complete('mycli zone --')).to.include('--context').and.not.include('--all')
    expect(await bash.complete('mycli --context lab zone l')).to.deep.equal(['list'])
    expect(await bash.complete('mycli -o json --context=lab zone list --a')).to.deep.equal(['--all'])
  })

  it('offers the values of flags that declare them: after a space, after "=", short and long', async () => {
    expect(await bash.complete('mycli zone list -o ')).to.have.members(['table', 'json', 'yaml'])
    expect(await bash.complete('mycli zone list --output j')).to.deep.equal(['json'])
    expect(await bash.complete('mycli zone list --output=')).to.have.members(['table', 'json', 'yaml'])
    expect(await bash.complete('mycli zone list --output=y')).to.deep.equal(['yaml'])
    expect(await bash.complete('mycli zone apply --strategy ')).to.have.members(['spread', 'pack'])
    expect(await bash.complete('mycli --output ')).to.have.members(['table', 'json', 'yaml'])
  })

  it('offers nothing for a value without declared values (the shell completes file names), and skips values when finding the command', async () => {
    expect(await bash.complete('mycli zone apply -f ')).to.deep.equal([])
    expect(await bash.complete('mycli zone apply --context ')).to.deep.equal([])
    // "zone" here is the value of --context, not the topic.
    expect(await bash.complete('mycli --context zone ')).to.have.members(['db', 'help', 'sandbox', 'zone'])
  })

  it('offers the values of arguments that declare them', async () => {
    expect(await bash.complete('mycli sandbox fault ')).to.have.members(['api-down', 'db-stop'])
    expect(await bash.complete('mycli sandbox fault d')).to.deep.equal(['db-stop'])
    expect(await bash.complete('mycli sandbox fault db-stop ')).to.deep.equal([])
  })

  it('after help, offers the commands as after the CLI, and the flags of help', async () => {
    expect(await bash.complete('mycli help zo')).to.deep.equal(['zone'])
    expect(await bash.complete('mycli help zone ')).to.have.members(['apply', 'list', 'show'])
    expect(await bash.complete('mycli help zone list ')).to.deep.equal([])
    expect(await bash.complete('mycli help zone -')).to.include.members(['-n', '--nested-commands']).and.not.include('--all')
  })

  it('after --, offers no flags', async () => {
    expect(await bash.complete('mycli zone apply -- -')).to.deep.equal([])
  })
})

describe('bash completion script: names looked up at TAB', () => {
  // zone:apply's argument names a zone, --context a context: the CLI itself is asked for them.
  const NAMED: CommandDeclaration[] = COMMANDS.map((command) => (command.id === 'zone:apply' ? {...command, completes: {zone: 'zones'}} : command))
  let bash: BashCompletion
  let dir: string
  /** What the CLI was asked, one line per call. */
  const asked = async (): Promise<string[]> => (await readFile(join(dir, 'asked'), 'utf8').catch(() => '')).split('\n').filter(Boolean)

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-completion-cli-'))
    // A stand-in for the CLI on PATH: it records its arguments and names the zones of the context it is given.
    await writeFile(
      join(dir, 'mycli'),
      `#!/bin/sh\necho "$*" >> '${dir}/asked'\ncase "$2" in contexts) printf 'lab\\nprod\\n' ;; zones) printf 'default\\neast-%s\\n' "\${4:-none}" ;; esac\n`,
      {mode: 0o755},
    )
    const tree = completionTree('mycli', NAMED, GLOBAL, {contextFlag: 'context', flagSources: {context: 'contexts'}, helpCommand: 'help'})
    bash = await BashCompletion.load(bashScript(tree), {...process.env, PATH: `${dir}:${process.env.PATH}`})
  })
  after(async () => {
    await bash.close()
    await rm(dir, {force: true, recursive: true})
  })
  beforeEach(async () => rm(join(dir, 'asked'), {force: true}))

  it('asks the CLI for the names of an argument that names something, and only there', async () => {
    expect(await bash.complete('mycli zone apply ')).to.have.members(['default', 'east-none'])
    expect(await bash.complete('mycli zone apply e')).to.deep.equal(['east-none'])
    expect(await asked()).to.deep.equal(['__complete zones', '__complete zones'])
    expect(await bash.complete('mycli zone apply default ')).to.deep.equal([])
    expect(await bash.complete('mycli zone list ')).to.deep.equal([])
    expect(await bash.complete('mycli zone ')).to.have.members(['apply', 'list', 'show'])
    expect(await asked()).to.have.length(2)
  })

  it('completes --context with the context names, in every spelling', async () => {
    expect(await bash.complete('mycli --context ')).to.have.members(['lab', 'prod'])
    expect(await bash.complete('mycli zone list --context p')).to.deep.equal(['prod'])
    expect(await bash.complete('mycli zone list --context=')).to.have.members(['lab', 'prod'])
    expect(await asked()).to.deep.equal(['__complete contexts', '__complete contexts', '__complete contexts'])
  })

  it('asks in the context given on the line, before or after the command', async () => {
    expect(await bash.complete('mycli --context prod zone apply ')).to.have.members(['default', 'east-prod'])
    expect(await bash.complete('mycli zone apply --context=lab ')).to.have.members(['default', 'east-lab'])
    expect(await asked()).to.deep.equal(['__complete zones --context prod', '__complete zones --context lab'])
  })
})

describe('shell set-up', () => {
  it('the zsh script loads the completion system and bashcompinit, then the bash script', () => {
    const tree = completionTree('mycli', COMMANDS, GLOBAL)
    const zsh = completionScript('zsh', tree)
    expect(zsh).to.include('autoload -U +X bashcompinit && bashcompinit').and.include('compinit')
    expect(zsh.endsWith(bashScript(tree))).to.equal(true)
    expect(completionScript('bash', tree)).to.equal(bashScript(tree))
  })

  it('tells how to turn completion on in each shell, now and for every new shell', () => {
    const setups = shellSetups('mycli')
    expect(setups).to.deep.equal([
      {always: "echo 'source <(mycli autocomplete bash)' >> ~/.bashrc", now: 'source <(mycli autocomplete bash)', shell: 'bash'},
      {always: "echo 'source <(mycli autocomplete zsh)' >> ~/.zshrc", now: 'source <(mycli autocomplete zsh)', shell: 'zsh'},
    ])
    const text = renderShellSetups('mycli', setups)
    for (const setup of setups) expect(text).to.include(setup.now).and.include(setup.always)
  })
})
