import {BaseCommand} from '../base-command.js'
import {AGE_RANGE, durationFlag} from '../flags.js'
import {planInputFlags} from '../table-flags.js'
import {formatDuration} from '../lib/duration.js'
import {exitCodeHelp, MONITORING_UNKNOWN} from '../lib/errors.js'
import type {HaReport} from '../lib/ha/posture.js'
import type {RawPlanInputs} from '../lib/plan/inputs.js'

const DEFAULT_HISTORY_MS = 30 * 86_400_000

export default class Ha extends BaseCommand<typeof Ha> {
  static summary = 'HA posture role by role, as the Kasm High Availability guide lays it out'
  static description =
    'One row per role and zone: what the deployment has, the minimum for production HA, the failure impact, and a verdict. ' +
    'Database (replica, managed endpoint, backups), web apps (N+1 for the peak concurrency in Kasm\'s session history), ' +
    'agents (2+ per zone with sessions, AutoScaling), connection proxies (2+ per zone with RDP/VNC/SSH servers), ' +
    'dedicated proxies (multi-zone delivery), zone boundaries (enclaves with search-alternate off) and log volume ' +
    '(SIEM and retention 0 at scale). Checks shared with `health --all` are that command\'s checks. Each verdict that ' +
    'is not OK cites the guide.'

  static examples = [
    '<%= config.bin %> ha',
    '<%= config.bin %> ha --json',
    '<%= config.bin %> ha --history 90d --use-case gaming',
  ]

  static usageExitCode = MONITORING_UNKNOWN
  static exitCodes = exitCodeHelp([[0, 'OK'], [1, 'WARNING'], [2, 'CRITICAL'], [3, 'UNKNOWN: bad flags, no usable context, or an internal error']])

  static flags = {
    ...planInputFlags(['use-case', 'architecture']),
    history: durationFlag({default: DEFAULT_HISTORY_MS, defaultHelp: async () => formatDuration(DEFAULT_HISTORY_MS), description: 'how far back Kasm\'s session history is read for the peak concurrency', range: AGE_RANGE}),
  }

  async run(): Promise<HaReport> {
    const [{parsePlanInputs}, {assessHa}, {renderHa}, {context}] = await Promise.all([
      import('../lib/plan/inputs.js'),
      import('../lib/ha/posture.js'),
      import('../lib/ha/render.js'),
      this.resolvedContext(),
    ])
    const flags = this.flags as RawPlanInputs & {history: number}
    const {architecture, useCase} = parsePlanInputs(flags, {live: true})
    const report = await assessHa({architecture, client: () => this.kasm(), context, historyMs: flags.history, useCase})
    process.exitCode = report.exitCode
    return this.emit(report, renderHa)
  }
}
