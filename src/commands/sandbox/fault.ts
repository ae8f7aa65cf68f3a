import {Args, Flags} from '@oclif/core'

import {BaseCommand, CONTEXT_FREE_FLAGS} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import {dryRunFlag, integerFlag, yesFlag} from '../../flags.js'
import {FAULT_FLAG_RANGES, FAULT_KINDS, type Fault} from '../../lib/sandbox/contract.js'

export interface SandboxFaultJson {
  faults: Fault[]
  database: {running: boolean}
}

export default class SandboxFault extends BaseCommand<typeof SandboxFault> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static summary = 'Inject a fault into the sandbox, list faults, or clear them'
  static description = `Faults make the sandbox misbehave as a real deployment does, to rehearse on and test against.
WEBAPP is webapp-1 or webapp-2, PROXY proxy-http or proxy-https, AGENT agent-1 to agent-6.
  webapp-status --target WEBAPP --status N     the web app answers HTTP N
  webapp-delay --target WEBAPP --ms N          the web app answers N ms late
  api-down                                     every web app refuses connections
  proxy-down --target PROXY                    the proxy refuses connections
  proxy-delay --target PROXY --ms N            the proxy answers N ms late
  proxy-strip-upgrade --target PROXY           the proxy drops WebSocket upgrades
  proxy-idle-timeout --target PROXY --seconds N  idle connections closed after N s
  agent-no-checkin --target AGENT              the agent stops checking in
  autoscale-unlicensed                         pool and autoscale calls answer "Auto Scaling is not licensed"
  db-stop, db-start                            stop or start PostgreSQL
A fault replaces one of the same kind and target. \`sandbox reset\` clears them all.`

  static examples = [
    '<%= config.bin %> sandbox fault webapp-status --target webapp-1 --status 500',
    '<%= config.bin %> sandbox fault proxy-delay --target proxy-https --ms 3000',
    '<%= config.bin %> sandbox fault agent-no-checkin --target agent-4',
    '<%= config.bin %> sandbox fault db-stop',
    '<%= config.bin %> sandbox fault --list --json',
    '<%= config.bin %> sandbox fault --clear',
  ]

  static args = {kind: Args.string({description: 'fault kind', options: [...FAULT_KINDS]})}
  static mutates = true
  static flags = {
    'dry-run': dryRunFlag,
    yes: yesFlag,
    clear: Flags.boolean({description: 'clear every fault (db-start starts a stopped database)', exclusive: ['list']}),
    list: Flags.boolean({description: 'list the faults in effect', exclusive: ['clear']}),
    ms: integerFlag({description: 'delay in milliseconds (webapp-delay, proxy-delay)', ...FAULT_FLAG_RANGES.ms}),
    seconds: integerFlag({description: 'idle timeout in seconds (proxy-idle-timeout)', ...FAULT_FLAG_RANGES.seconds}),
    status: integerFlag({description: 'HTTP status the web app answers (webapp-status)', ...FAULT_FLAG_RANGES.status}),
    target: Flags.string({description: 'web app, proxy or agent the fault applies to'}),
  }

  async run(): Promise<SandboxFaultJson> {
    const [manager, control, postgres, {sandboxDir}, {AGENTS}, {UsageError}] = await Promise.all([
      import('../../lib/sandbox/manager.js'),
      import('../../lib/sandbox/control.js'),
      import('../../lib/sandbox/postgres.js'),
      import('../../lib/sandbox/state.js'),
      import('../../lib/sandbox/seed.js'),
      import('../../lib/errors.js'),
    ])
    const {kind} = this.args
    const {clear, list} = this.flags
    if (Boolean(kind) === Boolean(clear || list)) {
      throw new UsageError(kind ? `give a fault kind, or --clear / --list, not both` : 'give a fault kind, --clear or --list', {
        hint: `fault kinds: ${FAULT_KINDS.join(', ')}`,
      })
    }

    const state = await manager.runningState(sandboxDir())
    // Built (and so checked) before anything changes, also on a dry run.
    const fault = kind && !kind.startsWith('db-')
      ? control.buildFault(kind as Parameters<typeof control.buildFault>[0], this.flags, {
          agents: AGENTS.map((a) => a.hostname),
          proxies: state.proxies.map((p) => p.name),
          webapps: state.webapps.map((w) => w.name),
        })
      : undefined
    const dryRun = this.flags['dry-run'] ?? false
    if (!dryRun) {
      if (kind === 'db-stop') await postgres.stopPostgres(state)
      else if (kind === 'db-start') await postgres.startPostgres(state)
      else if (clear) await control.controlRequest(state, 'DELETE', '/faults')
      else if (fault) await control.controlRequest(state, 'POST', '/faults', fault)
    }

    const {faults} = await control.controlRequest<{faults: Fault[]}>(state, 'GET', '/status')
    const json = {database: {running: Boolean(postgres.postgresPid(state))}, dryRun, faults}
    return this.emit(json, (r) =>
      [
        ...(r.dryRun ? [`Would ${fault ? `inject: ${control.describeFault(fault)}` : clear ? 'clear every fault' : kind ? `run ${kind}` : 'change nothing'} (dry run: nothing changed).`] : []),
        r.faults.length === 0 ? 'No faults in effect.' : `Faults in effect:\n${r.faults.map((f) => `  - ${control.describeFault(f)}`).join('\n')}`,
        `Database: ${r.database.running ? 'running' : 'stopped (`kasmctl sandbox fault db-start` starts it)'}`,
      ].join('\n'),
    )
  }
}
