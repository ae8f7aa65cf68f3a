import type {Hook, Interfaces} from '@oclif/core'

import {globalFlagSpecs, reportError} from '../base-command.js'
import {ExitCode, UsageError} from '../lib/errors.js'
import {splitCommandLine} from '../lib/argv.js'
import {loadColour} from '../lib/output/terminal.js'

/**
 * oclif finds no command when the command line does not start with one: global flags first
 * (`kasmctl --context lab zone list`, kubectl style), an extra argument that it took for a
 * subcommand (`kasmctl health extra`), or a typo (`kasmctl nosuch`). This hook runs only then, so
 * ordinary command lines start as fast as before: it finds the command, moves the global flags
 * behind it, and runs it; a command line with no command is a usage error (exit 64, JSON under --json).
 */
const hook: Hook<'command_not_found'> = async function (options) {
  const tokens = options.id.startsWith('-') ? [options.id, ...(options.argv ?? [])] : [...options.id.split(':'), ...(options.argv ?? [])]
  const line = splitCommandLine(tokens, {
    globalFlags: globalFlagSpecs(),
    isCommand: (id) => Boolean(options.config.findCommand(id)),
  })
  if (line.command) return options.config.runCommand(line.command, line.argv)
  await loadColour()
  reportError(unknownCommand(line.words, options.config), {exitCode: ExitCode.USAGE, json: line.json})
}

export function unknownCommand(words: string[], config: Interfaces.Config): UsageError {
  const typed = words.join(' ')
  if (typed === '') return new UsageError('no command given', {hint: `run \`${config.bin} --help\` for the commands`})
  // The longest known topic the words start with, to list what it offers.
  const topic = words.map((_, index) => words.slice(0, words.length - index).join(':')).find((id) => config.findTopic(id))
  const commands = topic ? config.commandIDs.filter((id) => id.startsWith(`${topic}:`)).map((id) => id.replaceAll(':', ' ')) : []
  return new UsageError(`"${typed}" is not a ${config.bin} command`, {
    hint: commands.length > 0 ? `commands: ${commands.join(', ')}` : `run \`${config.bin} --help\` for the commands`,
  })
}

export default hook
