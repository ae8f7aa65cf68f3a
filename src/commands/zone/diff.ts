import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {ExitCode, exitCodeHelp} from '../../lib/errors.js'
import type {Plan} from '../../lib/zones/plan.js'

export default class ZoneDiff extends BaseCommand<typeof ZoneDiff> {
  static summary = 'Show what `zone apply` would change, field by field'
  static examples = [
    '<%= config.bin %> zone diff --file zones.yaml',
    '<%= config.bin %> zone diff --file zones.yaml --prune',
    '<%= config.bin %> zone export | <%= config.bin %> zone diff --file -',
  ]

  static flags = {
    file: Flags.string({char: 'f', description: 'zones file (YAML or JSON; - for stdin)', required: true}),
    prune: Flags.boolean({description: 'also show the zones missing from the file, which `zone apply --prune` deletes'}),
  }

  // kubectl diff's convention, so that scripts can tell "differs" from "failed".
  static exitCodes = exitCodeHelp([[0, 'no differences'], [1, 'differences found'], [2, 'the diff could not be computed (API error)'], 64, 69, 77])

  async run(): Promise<Plan> {
    const [{readZonesFile}, {formatPlan, planZones}] = await Promise.all([import('../../lib/zones/file.js'), import('../../lib/zones/plan.js')])
    const file = await readZonesFile(this.flags.file)
    const client = await this.kasm()
    const plan = planZones(await client.getZones({brief: true}), file, {prune: this.flags.prune})
    process.exitCode = plan.changed ? 1 : 0
    return this.emit(plan, formatPlan)
  }

  protected exitCodeFor(error: unknown): number {
    const code = super.exitCodeFor(error)
    return code === ExitCode.FAILED ? 2 : code
  }
}
