import {BaseCommand} from '../../base-command.js'
import {fromHostFlag, integerFlag} from '../../flags.js'
import type {DatabaseReport, RetentionUsed} from '../../lib/db/report.js'

export default class DbReport extends BaseCommand<typeof DbReport> {
  static summary = 'Database size, largest tables, the logs table, connections, and recommendations'
  static description =
    "Read-only. Retention comes from Kasm's settings through the API when the context has an API key, else Kasm's defaults (7 days, DEBUG 4 hours). Rows per level are counted exactly unless that takes over 10 s, then estimated from the planner's statistics."

  static examples = ['<%= config.bin %> db report', '<%= config.bin %> db report --top 20 --json', '<%= config.bin %> db report --from-host webapp-1']

  static flags = {
    'from-host': fromHostFlag,
    top: integerFlag({default: 10, description: 'how many of the largest tables to list', max: 1000, min: 1}),
  }

  async run(): Promise<DatabaseReport> {
    const [{context}, {withDatabase}, report] = await Promise.all([
      this.resolvedContext(),
      import('../../lib/db/connect.js'),
      import('../../lib/db/report.js'),
    ])
    const retention = await this.retention()
    return withDatabase(context, this.flags['from-host'], async (db) =>
      this.emit(await report.buildReport(db, {retention, topTables: this.flags.top}), report.renderReport),
    )
  }

  /** Kasm's retention settings when the API can be asked; otherwise the report uses Kasm's defaults. */
  private async retention(): Promise<RetentionUsed | undefined> {
    const {context} = await this.resolvedContext()
    if (!context.api.key) return undefined
    const {getRetention} = await import('../../lib/db/retention.js')
    try {
      return {...(await getRetention(await this.kasm())), source: 'settings'}
    } catch (error) {
      this.warn(`cannot read the retention settings through the API (${(error as Error).message}): using Kasm's defaults`)
      return undefined
    }
  }
}
