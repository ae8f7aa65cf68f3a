import {Flags} from '@oclif/core'

import {parseDuration} from './lib/duration.js'

/** Flags shared by many commands. Defined once so their names and help stay consistent. */

export const yesFlag = Flags.boolean({char: 'y', description: 'answer yes to confirmations (required when stdin is not a terminal)'})

export const dryRunFlag = Flags.boolean({description: 'show what would change and change nothing'})

/** A duration such as 30s, 5m, 1h30m, 7d; parsed to milliseconds. */
export const durationFlag = Flags.custom<number>({
  async parse(input, _context, options) {
    return parseDuration(input, `--${options.name}`)
  },
})

export const zoneFlag = Flags.string({description: 'deployment zone (name, id or unique id prefix)'})
