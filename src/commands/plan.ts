import {Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {planInputFlags} from '../table-flags.js'
import {exitCodeHelp} from '../lib/errors.js'
import type {RawPlanInputs} from '../lib/plan/inputs.js'
import type {LivePlanJson} from '../lib/plan/live.js'
import type {PlanJson} from '../lib/plan/plan.js'

export default class Plan extends BaseCommand<typeof Plan> {
  static summary = 'Size a deployment from Kasm\'s sizing guide, role by role, each number citing its rule'
  static description =
    'Offline (no context needed): web apps (per-server range by architecture and use case, N+1), the database tier ' +
    'and log advice, agents per workspace spec with and without the guide\'s override (N+2 for static agents, ' +
    '/var/lib/docker disk), connection proxies for RDP/VNC/SSH (2+, recording), Redis. Inputs outside the guide\'s ' +
    'tables give a warning and no figure.\n' +
    'With --live: reads the deployment of the context instead and says what it holds now, per zone, with one web app ' +
    'or its largest agent lost, and (with --sessions) what to add to reach that.'

  static examples = [
    '<%= config.bin %> plan --sessions 200',
    '<%= config.bin %> plan --sessions 500 --use-case gaming --workspace 4c8g --agent-size 32c128g',
    '<%= config.bin %> plan --sessions 800 --workspace 2c4g:70% --workspace 4c8g:30% --per-user-disk 2GiB --recording',
    '<%= config.bin %> plan --sessions 300 --rdp-sessions 100 --architecture direct-to-agent --autoscale -o yaml',
    '<%= config.bin %> plan --live --sessions 400 --json',
  ]

  static exitCodes = exitCodeHelp([
    [0, 'the plan was printed'],
    [1, '--live: Kasm refused a call'],
    [64, 'usage error: a bad input (the message names the valid forms)'],
    [69, '--live: Kasm API or database unreachable'],
    [77, '--live: authentication or permission refused'],
  ])

  static flags = {
    ...planInputFlags(),
    live: Flags.boolean({description: 'plan against the context\'s deployment: what it holds now and what to add'}),
  }

  async run(): Promise<LivePlanJson | PlanJson> {
    const [{parsePlanInputs}, render] = await Promise.all([import('../lib/plan/inputs.js'), import('../lib/plan/render.js')])
    const flags = this.flags as RawPlanInputs
    const inputs = parsePlanInputs(flags, {live: flags.live === true})
    if (flags.live) {
      const [{planLive, readLiveFacts}, client, {context}] = await Promise.all([import('../lib/plan/live.js'), this.kasm(), this.resolvedContext()])
      const plan = planLive(await readLiveFacts(client, context), inputs)
      for (const warning of plan.warnings) this.warn(warning)
      return this.emit(plan, render.renderLivePlan)
    }

    const plan = (await import('../lib/plan/plan.js')).buildPlan(inputs)
    for (const warning of plan.warnings) this.warn(warning)
    return this.emit(plan, render.renderPlan)
  }
}
