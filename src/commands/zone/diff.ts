import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {ExitCode, exitCodeHelp} from '../../lib/errors.js'
import type {AutoscalePlan} from '../../lib/autoscale/plan.js'
import type {Plan} from '../../lib/zones/plan.js'

export default class ZoneDiff extends BaseCommand<typeof ZoneDiff> {
  static summary = 'Show what `zone apply` would change, field by field'
  static examples = [
    '<%= config.bin %> zone diff --file zones.yaml',
    '<%= config.bin %> zone diff --file zones.yaml --prune',
    '<%= config.bin %> zone export | <%= config.bin %> zone diff --file -',
  ]

  static description = 'The file\'s `autoscale:` configs (existing ones, by name) are compared field by field too.'

  static flags = {
    file: Flags.string({char: 'f', description: 'zones file (YAML or JSON; - for stdin)', required: true}),
    prune: Flags.boolean({description: 'also show the zones missing from the file, which `zone apply --prune` deletes'}),
  }

  // kubectl diff's convention, so that scripts can tell "differs" from "failed".
  static exitCodes = exitCodeHelp([[0, 'no differences'], [1, 'differences found'], [2, 'the diff could not be computed (API error)'], 64, 69, 77])

  async run(): Promise<Plan & {autoscale?: AutoscalePlan}> {
    const [{readZonesFile}, {formatPlan, planZones}, {formatAutoscalePlan, planFileAutoscale}] = await Promise.all([
      import('../../lib/zones/file.js'),
      import('../../lib/zones/plan.js'),
      import('../../lib/autoscale/plan.js'),
    ])
    const file = await readZonesFile(this.flags.file)
    const client = await this.kasm()
    const [live, autoscale] = await Promise.all([client.getZones({brief: true}), planFileAutoscale(client, file.autoscale)])
    const plan = planZones(live, file, {prune: this.flags.prune})
    const changed = plan.changed || Boolean(autoscale?.plan.changed)
    process.exitCode = changed ? 1 : 0
    const human = () => [formatPlan(plan), autoscale ? formatAutoscalePlan(autoscale.plan) : ''].filter(Boolean).join('\n')
    return this.emit({...plan, changed, ...(autoscale ? {autoscale: autoscale.plan} : {})}, human)
  }

  protected exitCodeFor(error: unknown): number {
    const code = super.exitCodeFor(error)
    return code === ExitCode.FAILED ? 2 : code
  }
}
