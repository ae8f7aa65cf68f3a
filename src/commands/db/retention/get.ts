import {BaseCommand} from '../../../base-command.js'
import type {Retention} from '../../../lib/db/retention.js'
import {renderDetails} from '../../../lib/output/table.js'

export default class DbRetentionGet extends BaseCommand<typeof DbRetentionGet> {
  static summary = "Show Kasm's log retention (days) and DEBUG log retention (hours)"
  static description = "Read through the Kasm API (get_settings): Kasm stores setting values encrypted, so they are never read with SQL."
  static examples = ['<%= config.bin %> db retention get', '<%= config.bin %> db retention get --json']

  async run(): Promise<Retention> {
    const {getRetention} = await import('../../../lib/db/retention.js')
    const retention = await getRetention(await this.kasm())
    return this.emit(retention, (r) =>
      renderDetails([
        ['log retention', r.logRetentionDays === 0 ? '0 (database logging disabled)' : `${r.logRetentionDays} days`],
        ['debug retention', r.debugRetentionHours === 0 ? '0 (DEBUG database logging disabled)' : `${r.debugRetentionHours} hours`],
        ['log forwarding', r.logProtocol ?? '-'],
      ]),
    )
  }
}
