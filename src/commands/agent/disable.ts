import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {capacityGuardFlags, dryRunFlag, reasonFlag, yesFlag} from '../../flags.js'
import {OperationError} from '../../lib/errors.js'
import type {ToggleResult} from '../../lib/agents/agents.js'
import type {CapacityCheck} from '../../lib/agents/guard.js'

export default class AgentDisable extends BaseCommand<typeof AgentDisable> {
  static summary = 'Stop agents from taking new sessions (running sessions go on); idempotent'
  static description = `Refuses (exit 1, naming the images and the shortfall) when the sessions on these agents could not be placed, one by one and each on one agent as Kasm places them, on the zone's agents that stay with --headroom still free; --ignore-capacity overrides. An agent that is already disabled is reported and left alone (exit 0). Use \`agent drain\` to also wait for its sessions to end.`

  static examples = [
    '<%= config.bin %> agent disable agent-1 --reason "kernel update" --yes',
    '<%= config.bin %> agent disable agent-1 agent-2 --headroom 10 --dry-run',
    '<%= config.bin %> agent disable agent-4 --ignore-capacity --yes --json',
  ]

  static strict = false
  static completes = {agent: 'agents'}
  static args = {agent: Args.string({description: 'agent hostname, id or unique id prefix (several allowed)', required: true})}
  static flags = {...capacityGuardFlags, 'dry-run': dryRunFlag, reason: reasonFlag, yes: yesFlag}
  static mutates = true

  async run(): Promise<{agents: ToggleResult[]; capacity: CapacityCheck[]; dry_run: boolean}> {
    const [client, {context}, {disableAgent, loadFleet}, {guardRemoval}, {resolveAgent}, {renderToggle}] = await Promise.all([
      this.kasm(),
      this.resolvedContext(),
      import('../../lib/agents/agents.js'),
      import('../../lib/agents/guard.js'),
      import('../../lib/agents/resolve.js'),
      import('../../lib/agents/render.js'),
    ])
    const fleet = await loadFleet(client, {zones: true})
    const servers = [...new Set(this.positionals.map((ref) => resolveAgent(fleet.servers, ref)))]
    const dryRun = this.flags['dry-run']
    const capacity = guardRemoval(fleet, servers, {headroom: this.flags.headroom, ignore: this.flags['ignore-capacity'] || dryRun})
    if (!dryRun) await this.confirm(servers.filter((server) => server.enabled).map((server) => server.hostname))
    const agents: ToggleResult[] = []
    for (const server of servers) {
      agents.push(
        dryRun
          ? {changed: server.enabled, enabled: false, hostname: server.hostname, reason: this.flags.reason ?? null, server_id: server.server_id, zone_name: server.zone_name ?? null}
          : await disableAgent(client, server, {by: 'disable', context: context.name, reason: this.flags.reason}),
      )
    }

    return this.emit({agents, capacity, dry_run: dryRun}, (r) => {
      const checks = r.capacity.map((c) => `capacity ${c.ok ? 'ok' : 'REFUSED'}: ${c.message}`)
      return [...(r.dry_run ? checks : []), renderToggle(r.agents, r.dry_run)].join('\n')
    })
  }

  /** Like `agent drain`: asks on a terminal, and without one needs --yes (nothing to ask when every agent is already disabled). */
  private async confirm(hostnames: string[]): Promise<void> {
    if (hostnames.length === 0) return
    const {confirmYesNo} = await import('../../lib/output/prompt.js')
    const question = `Disable ${hostnames.join(', ')} (running sessions go on, no new ones start there)?`
    if (!(await confirmYesNo(question, {interactive: this.term.interactive, yes: this.flags.yes}))) {
      throw new OperationError('not confirmed: nothing was changed', {code: 'NOT_CONFIRMED'})
    }
  }
}
