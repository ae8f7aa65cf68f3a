import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {durationFlag} from '../../flags.js'
import {STATUS_EXIT_CODES} from '../../lib/autoscale/exit-codes.js'
import type {AutoscaleStatusReport} from '../../lib/autoscale/status.js'
import {MONITORING_UNKNOWN, UsageError} from '../../lib/errors.js'

export default class AutoscaleStatus extends BaseCommand<typeof AutoscaleStatus> {
  static summary = "What Kasm's autoscaler sees now, config by config, and why"
  static description = `Server pools: per server, the sessions and new users it can still take and the lower of the two; the
total against Minimum Available Sessions, and how many servers Kasm would add. Docker agents: standby cores/memory/gpus
against the zone's free capacity, each agent's by Kasm's per-agent rule. Servers in starting longer than
--checkin-timeout while require_checkin is on are flagged with the likely cause and the set_server_status call they
need. Exit codes follow the monitoring-plugin convention in every output mode, as \`health\` does.`

  static examples = [
    '<%= config.bin %> autoscale status',
    '<%= config.bin %> autoscale status rdp-autoscale --checkin-timeout 5m',
    '<%= config.bin %> autoscale status --json',
  ]

  static args = {config: Args.string({description: 'autoscale config name, id or unique id prefix (default: all)'})}
  static flags = {
    'checkin-timeout': durationFlag({default: 600_000, defaultHelp: async () => '10m', description: 'how long a new server may stay starting before it counts as stuck'}),
  }

  static exitCodes = STATUS_EXIT_CODES
  static usageExitCode = MONITORING_UNKNOWN

  async run(): Promise<AutoscaleStatusReport> {
    const timeout = this.flags['checkin-timeout']
    if (timeout <= 0) throw new UsageError(`--checkin-timeout must be longer than 0, e.g. 10m`)
    const [client, {readAutoscaleStatus}, {renderStatus}] = await Promise.all([this.kasm(), import('../../lib/autoscale/status.js'), import('../../lib/autoscale/render.js')])
    const report = await readAutoscaleStatus(client, this.args.config, {checkinTimeoutSeconds: Math.round(timeout / 1000), now: new Date()})
    process.exitCode = report.exitCode
    return this.emit(report, renderStatus)
  }
}
