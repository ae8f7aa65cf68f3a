import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {AutoscaleConfigDetails} from '../../lib/autoscale/configs.js'
import {AUTOSCALE_EXIT_CODES} from '../../lib/autoscale/exit-codes.js'

export default class AutoscaleGet extends BaseCommand<typeof AutoscaleGet> {
  static summary = 'Show every field of an autoscale config, its VM provider and schedules'
  static examples = ['<%= config.bin %> autoscale get rdp-autoscale', '<%= config.bin %> autoscale get rdp-autoscale --output yaml']
  static args = {config: Args.string({description: 'autoscale config name, id or unique id prefix', required: true})}
  static exitCodes = AUTOSCALE_EXIT_CODES

  async run(): Promise<{autoscale_config: AutoscaleConfigDetails}> {
    const [client, {configDetails, loadInventory, resolveConfig}] = await Promise.all([this.kasm(), import('../../lib/autoscale/configs.js')])
    const inventory = await loadInventory(client)
    const config = await configDetails(client, resolveConfig(inventory.configs, this.args.config), inventory)
    const render = this.format === 'table' ? await import('../../lib/autoscale/render.js') : undefined
    return this.emit({autoscale_config: config}, (data) => render?.renderConfigDetails(data.autoscale_config))
  }
}
