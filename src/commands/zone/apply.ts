import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import {OperationError} from '../../lib/errors.js'
import type {Plan, TaskRunner} from '../../lib/zones/plan.js'

export default class ZoneApply extends BaseCommand<typeof ZoneApply> {
  static summary = 'Create and update zones to match a zones file; --prune deletes the zones it lacks'
  static description = `Idempotent: a second apply of the same file changes nothing. Settings a zone in the file leaves
out are left as they are (new zones get Kasm's defaults for them). The whole file is validated before anything is sent.
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

  async run(): Promise<Plan & {dry_run: boolean}> {
    const [{readZonesFile}, {applyPlan, formatPlan, planZones}, {confirmYesNo}] = await Promise.all([
      import('../../lib/zones/file.js'),
      import('../../lib/zones/plan.js'),
      import('../../lib/output/prompt.js'),
    ])
    const file = await readZonesFile(this.flags.file)
    const client = await this.kasm()
    const live = await client.getZones()
    const plan = planZones(live, file, {prune: this.flags.prune})
    const dryRun = Boolean(this.flags['dry-run'])
    const human = this.format === 'table'
    if (human) this.log(dryRun && plan.changed ? `${formatPlan(plan)}\n(dry run: nothing sent)` : formatPlan(plan))
    if (dryRun || !plan.changed) return {...plan, dry_run: dryRun}

    const deletes = plan.actions.filter((action) => action.action === 'delete').map((action) => action.zone_name)
    if (deletes.length > 0) {
      const question = `Delete ${deletes.length} zone(s) not in the file (${deletes.join(', ')})?`
      if (!(await confirmYesNo(question, {interactive: this.term.interactive, yes: this.flags.yes}))) {
        throw new OperationError('not confirmed: nothing was changed', {code: 'NOT_CONFIRMED'})
      }
    }

    await applyPlan(client, plan, live, human ? await this.progress() : undefined)
    return {...plan, dry_run: false}
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
