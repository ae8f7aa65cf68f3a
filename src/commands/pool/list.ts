import {BaseCommand} from '../../base-command.js'
import type {PoolView} from '../../lib/autoscale/configs.js'
import {AUTOSCALE_EXIT_CODES} from '../../lib/autoscale/exit-codes.js'

export default class PoolList extends BaseCommand<typeof PoolList> {
  static summary = 'List server pools with their type (Docker Agent / Server Pool), servers and autoscale configs'
  static examples = ['<%= config.bin %> pool list', '<%= config.bin %> pool list --output yaml', '<%= config.bin %> pool list --json']
  static exitCodes = AUTOSCALE_EXIT_CODES

  async run(): Promise<{pools: PoolView[]}> {
    const [client, {loadInventory, poolView}] = await Promise.all([this.kasm(), import('../../lib/autoscale/configs.js')])
    const inventory = await loadInventory(client)
    const pools = inventory.pools.map((pool) => poolView(pool, inventory.configs))
    const render = this.format === 'table' ? await import('../../lib/autoscale/render.js') : undefined
    return this.emit({pools}, (data) => render?.renderPoolList(data.pools))
  }
}
