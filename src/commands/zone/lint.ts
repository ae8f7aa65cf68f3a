import {Flags} from '@oclif/core'
import type pg from 'pg'

import {BaseCommand} from '../../base-command.js'
import {exitCodeHelp, MONITORING_UNKNOWN} from '../../lib/errors.js'
import type {LintFinding} from '../../lib/zones/lint.js'

export default class ZoneLint extends BaseCommand<typeof ZoneLint> {
  static summary = 'Check zones against the Kasm documentation\'s policies (enclaves, AutoScaling, proxies, HA)'
  static description = `Rules, each with the documentation's reason:
  enclave-search-alternate  (error)    an enclave (context \`enclaves\`, or \`enclave: true\` in the file) with search_alternate_zones on
  autoscale-upstream-auth   (error)    upstream_auth_address left at $request_host$/proxy while an autoscale config is enabled
  proxy-mismatch            (warning)  proxy_hostname/proxy_port match none of the context's reverse proxies
  ha-min-agents             (warning)  fewer than 2 enabled agents in the zone
  autoscale-checkin-stuck   (error)    require_checkin on and autoscaled servers in starting for more than 10 minutes
  autoscale-min-unreachable (error)    Minimum Available Sessions above what the pool can reach with the provider's max instances
  autoscale-orphan          (error)    an enabled autoscale config whose pool or zone no longer exists
  autoscale-users-above-sessions (warning)  max users per server above max sessions per server
  autoscale-backoff-thrash  (warning)  downscale backoff 0 with the pool within one server of its minimum
Autoscale configs are read from Kasm's API (get_autoscale_configs); without the Auto Scaling licence or AUTOSCALE_VIEW,
from the database when the context has one, else inferred from autoscaled agents (the autoscale-* rules then need the API).
With --file, the zones are checked as the file would leave them.`

  static examples = ['<%= config.bin %> zone lint', '<%= config.bin %> zone lint --file zones.yaml', '<%= config.bin %> zone lint --json']
  static flags = {file: Flags.string({char: 'f', description: 'lint the zones as this zones file would leave them (- for stdin)'})}
  static usageExitCode = MONITORING_UNKNOWN
  static exitCodes = exitCodeHelp([[0, 'no findings'], [1, 'warnings only'], [2, 'at least one error'], [3, 'the lint could not run (usage error, API unreachable...)']])

  async run(): Promise<{status: string; findings: LintFinding[]}> {
    const [{lintStatus, lintZones}, {readZonesFile}] = await Promise.all([import('../../lib/zones/lint.js'), import('../../lib/zones/file.js')])
    const file = this.flags.file === undefined ? undefined : await readZonesFile(this.flags.file)
    const [client, {context}] = await Promise.all([this.kasm(), this.resolvedContext()])
    if (!context.database) this.warn(`context "${context.name}" has no database: autoscale configs are inferred from autoscaled agents`)
    const db = context.database ? await this.database() : undefined
    try {
      const findings = await lintZones({client, context, db, file})
      const {exitCode, status} = lintStatus(findings)
      process.exitCode = exitCode
      const render = this.format === 'table' ? await import('../../lib/zones/render.js') : undefined
      return this.emit({findings, status}, (r) => render?.renderFindings(r.findings))
    } finally {
      await db?.end()
    }
  }

  /** The database, or undefined (with a warning) when it cannot be reached: the autoscale rule then infers. */
  private async database(): Promise<pg.Client | undefined> {
    const {context} = await this.resolvedContext()
    const {connectDatabase} = await import('../../lib/db/connect.js')
    try {
      return await connectDatabase(context, {connectTimeoutMs: 5000})
    } catch (error) {
      this.warn(`${(error as Error).message}: autoscale configs are inferred from autoscaled agents instead`)
      return undefined
    }
  }
}
