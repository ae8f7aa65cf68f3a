import {BaseCommand, CONTEXT_FREE_FLAGS} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import {dryRunFlag, yesFlag} from '../../flags.js'

export interface SandboxResetJson {
  dir: string
  reset: boolean
  dryRun: boolean
  steps: string[]
  elapsedMs: number
}

const STEPS = [
  'start PostgreSQL if it is stopped',
  'clear every fault',
  'drop database kasm and copy it again from the seeded template kasm_seed (dates moved to now)',
  'rewrite every host directory (api.app.config.yaml, kasmguac.app.config.yaml, proxy configs, bin scripts)',
  'restart every web app so it re-reads its configuration',
]

export default class SandboxReset extends BaseCommand<typeof SandboxReset> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static summary = 'Put the running sandbox back to its seeded state'
  static description = 'Everything done to the sandbox since it started is undone: database rows, host files, faults and stopped web apps.'
  static examples = ['<%= config.bin %> sandbox reset --yes', '<%= config.bin %> sandbox reset --dry-run']
  static mutates = true
  static flags = {'dry-run': dryRunFlag, yes: yesFlag}

  async run(): Promise<SandboxResetJson> {
    const [{runningState, sandboxReset}, {sandboxDir}, {confirmYesNo}] = await Promise.all([
      import('../../lib/sandbox/manager.js'),
      import('../../lib/sandbox/state.js'),
      import('../../lib/output/prompt.js'),
    ])
    const dir = sandboxDir()
    const state = await runningState(dir)
    const render = (r: SandboxResetJson) =>
      r.dryRun
        ? `Would reset the sandbox in ${r.dir}:\n${r.steps.map((s) => `  - ${s}`).join('\n')}`
        : `Sandbox reset to its seeded state in ${(r.elapsedMs / 1000).toFixed(1)} s.`
    if (this.flags['dry-run']) return this.emit({dir, dryRun: true, elapsedMs: 0, reset: false, steps: STEPS}, render)

    if (!(await confirmYesNo(`Reset the sandbox in ${dir}? Every change made to it is lost.`, {interactive: this.term.interactive, yes: this.flags.yes}))) {
      const {OperationError} = await import('../../lib/errors.js')
      throw new OperationError('cancelled: nothing was changed')
    }

    const started = performance.now()
    await sandboxReset(state)
    return this.emit({dir, dryRun: false, elapsedMs: Math.round(performance.now() - started), reset: true, steps: STEPS}, render)
  }
}
