import {BaseCommand} from '../../base-command.js'
import type {AutoscaleConfigView} from '../../lib/autoscale/configs.js'
import {AUTOSCALE_EXIT_CODES} from '../../lib/autoscale/exit-codes.js'

export default class AutoscaleList extends BaseCommand<typeof AutoscaleList> {
  static summary = 'List autoscale configs: type, zone, pool, enabled, minimum or standby, backoff, check-in'
  static examples = ['<%= config.bin %> autoscale list', '<%= config.bin %> autoscale list --json']
  static exitCodes = AUTOSCALE_EXIT_CODES

  async run(): Promise<{autoscale_configs: AutoscaleConfigView[]}> {
    const [client, {configView, loadInventory}] = await Promise.all([this.kasm(), import('../../lib/autoscale/configs.js')])
    const inventory = await loadInventory(client)
    const configs = inventory.configs.map((config) => configView(config, inventory))
    const render = this.format === 'table' ? await import('../../lib/autoscale/render.js') : undefined
    return this.emit({autoscale_configs: configs}, (data) => render?.renderConfigList(data.autoscale_configs))
  }
}
