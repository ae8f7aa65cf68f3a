import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {PoolView} from '../../lib/autoscale/configs.js'
import {AUTOSCALE_EXIT_CODES} from '../../lib/autoscale/exit-codes.js'

export default class PoolGet extends BaseCommand<typeof PoolGet> {
  static summary = 'Show a server pool: its type, servers and the autoscale configs attached'
  static examples = ['<%= config.bin %> pool get rdp-pool', '<%= config.bin %> pool get 3f2a9c1e --json']
  static args = {pool: Args.string({description: 'pool name, id or unique id prefix', required: true})}
  static exitCodes = AUTOSCALE_EXIT_CODES

  async run(): Promise<{pool: PoolView}> {
    const [client, {loadInventory, poolView, resolvePool}] = await Promise.all([this.kasm(), import('../../lib/autoscale/configs.js')])
    const inventory = await loadInventory(client)
    const pool = poolView(resolvePool(inventory.pools, this.args.pool), inventory.configs)
    const render = this.format === 'table' ? await import('../../lib/autoscale/render.js') : undefined
    return this.emit({pool}, (data) => render?.renderPoolDetails(data.pool))
  }
}
