import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import {OperationError} from '../../lib/errors.js'
import type {AutoscalePlan} from '../../lib/autoscale/plan.js'
import type {Plan, TaskRunner} from '../../lib/zones/plan.js'

export default class ZoneApply extends BaseCommand<typeof ZoneApply> {
  static summary = 'Create and update zones to match a zones file; --prune deletes the zones it lacks'
  static description = `Idempotent: a second apply of the same file changes nothing. Settings a zone in the file leaves
out are left as they are (new zones get Kasm's defaults for them). The file's \`autoscale:\` configs must exist in Kasm,
in the zone and pool the file names; their changed fields are sent with the whole config. The whole file is validated before anything is sent.
If a step fails, the error says which zones were done; running the same apply again carries on.`

  static examples = [
    '<%= config.bin %> zone apply --file zones.yaml --dry-run',
    '<%= config.bin %> zone apply --file zones.yaml',
    '<%= config.bin %> zone apply --file zones.yaml --prune --yes',
  ]

  static mutates = true
  static flags = {
    'dry-run': dryRunFlag,
    file: Flags.string({char: 'f', description: 'zones file (YAML or JSON; - for stdin)', required: true}),
    prune: Flags.boolean({description: 'delete zones that are not in the file (asks first, unless --yes)'}),
    yes: yesFlag,
  }

  async run(): Promise<Plan & {autoscale?: AutoscalePlan; dry_run: boolean}> {
    const [{readZonesFile}, {applyPlan, formatPlan, planZones}, {confirmYesNo}, autoscalePlans] = await Promise.all([
      import('../../lib/zones/file.js'),
      import('../../lib/zones/plan.js'),
      import('../../lib/output/prompt.js'),
      import('../../lib/autoscale/plan.js'),
    ])
    const file = await readZonesFile(this.flags.file)
    const client = await this.kasm()
    const [live, autoscale] = await Promise.all([client.getZones(), autoscalePlans.planFileAutoscale(client, file.autoscale)])
    const plan = planZones(live, file, {prune: this.flags.prune})
    const changed = plan.changed || Boolean(autoscale?.plan.changed)
    const result = {...plan, changed, ...(autoscale ? {autoscale: autoscale.plan} : {})}
    const dryRun = Boolean(this.flags['dry-run'])
    const human = this.format === 'table'
    const text = [formatPlan(plan), autoscale ? autoscalePlans.formatAutoscalePlan(autoscale.plan) : ''].filter(Boolean).join('\n')
    if (human) this.log(dryRun && changed ? `${text}\n(dry run: nothing sent)` : text)
    if (dryRun || !changed) return {...result, dry_run: dryRun}

    const deletes = plan.actions.filter((action) => action.action === 'delete').map((action) => action.zone_name)
    if (deletes.length > 0) {
      const question = `Delete ${deletes.length} zone(s) not in the file (${deletes.join(', ')})?`
      if (!(await confirmYesNo(question, {interactive: this.term.interactive, yes: this.flags.yes}))) {
        throw new OperationError('not confirmed: nothing was changed', {code: 'NOT_CONFIRMED'})
      }
    }

    if (plan.changed) await applyPlan(client, plan, live, human ? await this.progress() : undefined)
    if (autoscale?.plan.changed) {
      await autoscalePlans.applyAutoscalePlan(client, autoscale.plan, autoscale.inventory.configs)
      if (human) this.log(`done: ${autoscale.plan.actions.map((action) => `update autoscale ${action.autoscale_config_name}`).join(', ')}`)
    }

    return {...result, dry_run: false}
  }

  /** listr2 on a terminal; plain lines otherwise. */
  private async progress(): Promise<TaskRunner> {
    if (!this.term.stdoutIsTTY) {
      return async (tasks) => {
        for (const task of tasks) {
          await task.run()
          this.log(`done: ${task.title}`)
        }
      }
    }

    const {Listr} = await import('listr2')
    return async (tasks) => {
      await new Listr(tasks.map((task) => ({task: task.run, title: task.title})), {exitOnError: true, renderer: 'default'}).run()
    }
  }
}
