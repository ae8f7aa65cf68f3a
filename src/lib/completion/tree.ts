/**
 * What shell completion offers, as plain data: the commands (`zone list`), the flags each one takes
 * and the values of those that declare them. Built from the command declarations oclif loads (the
 * manifest's shape), so that src/lib needs no oclif.
 */

import {compareNames} from '../text.js'

/** A flag as its command declares it (oclif's manifest shape, the parts completion reads). */
export interface FlagDeclaration {
  type: 'boolean' | 'option'
  char?: string
  aliases?: string[]
  charAliases?: string[]
  deprecateAliases?: boolean
  allowNo?: boolean
  options?: readonly string[]
  hidden?: boolean
  deprecated?: unknown
}

/**
 * A command as oclif loads it: `id` is colon separated (`zone:list`). oclif lists each alias of a
 * command as one more command, with the alias as its id.
 */
export interface CommandDeclaration {
  id: string
  hidden?: boolean
  aliases?: string[]
  deprecateAliases?: boolean
  flags: Record<string, FlagDeclaration>
  args?: Record<string, {options?: readonly string[]}>
  /** Arguments whose values are names looked up at TAB, by argument name (`{zone: 'zones'}`). */
  completes?: Record<string, string>
}

export interface CompletionFlag {
  /** What the user may type: `--name`, `--no-name`, `-c`, and aliases that are not deprecated. */
  spellings: string[]
  /** The flag's value is the next word (or follows "="). */
  takesValue: boolean
  /** The values it accepts, when it declares them (`-o`: table, json, yaml). */
  values: readonly string[]
  /** Where its values are looked up at TAB when they are names (`--context`: contexts). */
  source?: string
}

export interface CompletionCommand {
  /** The words that name it: `['zone', 'list']`. */
  words: string[]
  flags: CompletionFlag[]
  /** The values of each positional argument, in order ([] where any value goes). */
  argValues: Array<readonly string[]>
  /** Where each positional argument's names are looked up at TAB, in order ('' where they are not). */
  argSources: string[]
}

export interface CompletionTree {
  bin: string
  /** Flags taken before the command (`kasmctl --context lab zone list`) and on topic levels. */
  globalFlags: CompletionFlag[]
  commands: CompletionCommand[]
  /** The command whose arguments name a command (`help zone list`): completed like the words after the CLI. */
  helpCommand?: string
  /** The flag that selects a context: names are looked up in the context it gives. */
  contextFlag?: string
}

export interface CompletionOptions {
  helpCommand?: string
  contextFlag?: string
  /** Flags whose values are names looked up at TAB, by flag name (`{context: 'contexts'}`). */
  flagSources?: Record<string, string>
}

/** `--help` works after every command; `--version` only on its own. */
const HELP: CompletionFlag = {spellings: ['--help'], takesValue: false, values: []}
const VERSION: CompletionFlag = {spellings: ['--version'], takesValue: false, values: []}

/** The completion tree of a CLI: hidden commands, hidden or deprecated flags and deprecated aliases left out. */
export function completionTree(
  bin: string,
  commands: CommandDeclaration[],
  globalFlags: Record<string, FlagDeclaration>,
  options: CompletionOptions = {},
): CompletionTree {
  const {flagSources = {}, ...rest} = options
  return {
    ...rest,
    bin,
    commands: commands
      .filter((command) => !command.hidden && !isDeprecatedAlias(command))
      .map((command) => ({
        argSources: Object.keys(command.args ?? {}).map((name) => command.completes?.[name] ?? ''),
        argValues: Object.values(command.args ?? {}).map((arg) => arg.options ?? []),
        flags: [...completionFlags(command.flags, flagSources), HELP],
        words: command.id.split(':'),
      }))
      .sort((a, b) => compareNames(a.words.join(' '), b.words.join(' '))),
    globalFlags: [...completionFlags(globalFlags, flagSources), HELP, VERSION],
  }
}

function isDeprecatedAlias(command: CommandDeclaration): boolean {
  return Boolean(command.deprecateAliases) && (command.aliases ?? []).some((alias) => alias.replaceAll(' ', ':') === command.id)
}

function completionFlags(flags: Record<string, FlagDeclaration>, sources: Record<string, string>): CompletionFlag[] {
  return Object.entries(flags)
    .filter(([, flag]) => !flag.hidden && !flag.deprecated)
    .map(([name, flag]) => {
      const aliases = flag.deprecateAliases ? [] : [...(flag.aliases ?? []).map((alias) => `--${alias}`), ...(flag.charAliases ?? []).map((alias) => `-${alias}`)]
      return {
        spellings: [`--${name}`, ...(flag.allowNo ? [`--no-${name}`] : []), ...(flag.char ? [`-${flag.char}`] : []), ...aliases],
        takesValue: flag.type === 'option',
        values: flag.options ?? [],
        ...(sources[name] && flag.type === 'option' ? {source: sources[name]} : {}),
      }
    })
}

/** Every node of the tree by its path ('' is the CLI itself, 'zone' a topic): the words that may follow it. */
export function childrenByPath(tree: CompletionTree): Map<string, string[]> {
  const children = new Map<string, Set<string>>()
  for (const {words} of tree.commands) {
    for (const [depth, word] of words.entries()) {
      const path = words.slice(0, depth).join(' ')
      children.set(path, (children.get(path) ?? new Set()).add(word))
    }
  }

  return new Map([...children].map(([path, words]) => [path, [...words].sort()]))
}
