import {Flags} from '@oclif/core'

import {BaseCommand, CONTEXT_FREE_FLAGS} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import {dryRunFlag, yesFlag} from '../../flags.js'

export interface SandboxDownJson {
  dir: string
  wasRunning: boolean
  purged: boolean
  /** The `sandbox` context was removed from the config (only with --purge). */
  contextRemoved: boolean
  dryRun: boolean
}

export default class SandboxDown extends BaseCommand<typeof SandboxDown> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static summary = 'Stop the sandbox: its daemon and PostgreSQL, leaving no process or port behind'
  static examples = ['<%= config.bin %> sandbox down', '<%= config.bin %> sandbox down --purge --yes', '<%= config.bin %> sandbox down --purge --dry-run']
  static mutates = true
  static flags = {
    'dry-run': dryRunFlag,
    purge: Flags.boolean({description: 'also delete the sandbox files: database, host directories, secrets, certificates'}),
    yes: yesFlag,
  }

  async run(): Promise<SandboxDownJson> {
    const [{forgetSandboxContext, sandboxDown}, {sandboxDir}, {confirmYesNo}] = await Promise.all([
      import('../../lib/sandbox/manager.js'),
      import('../../lib/sandbox/state.js'),
      import('../../lib/output/prompt.js'),
    ])
    const dir = sandboxDir()
    const dryRun = this.flags['dry-run'] ?? false
    if (this.flags.purge && !dryRun && !(await confirmYesNo(`Delete the sandbox in ${dir} and all its data?`, {interactive: this.term.interactive, yes: this.flags.yes}))) {
      const {OperationError} = await import('../../lib/errors.js')
      throw new OperationError('cancelled: nothing was stopped or deleted')
    }

    const result = await sandboxDown(dir, {dryRun, purge: this.flags.purge})
    const contextRemoved = this.flags.purge && !dryRun ? await forgetSandboxContext() : false
    return this.emit({dir, ...result, contextRemoved, dryRun}, (r) => {
      if (r.dryRun) return `Would ${r.wasRunning ? 'stop the sandbox' : 'find the sandbox not running'}${this.flags.purge ? ` and delete its files (${r.dir})` : ''} (dry run: nothing changed).`
      const what = r.wasRunning ? 'Sandbox stopped' : 'Sandbox was not running'
      if (!r.purged) return `${what}; its files are kept in ${r.dir} (\`kasmctl sandbox up\` starts afresh).`
      return `${what}; its files are deleted (${r.dir})${r.contextRemoved ? ' and the "sandbox" context removed' : ''}.`
    })
  }
}
