import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import type {ToggleResult} from '../../lib/agents/agents.js'

export default class AgentEnable extends BaseCommand<typeof AgentEnable> {
  static summary = 'Let agents take new sessions again; idempotent'
  static description = 'Also forgets the reason and drain kasmctl recorded when it disabled the agent. An agent already enabled is reported (exit 0).'
  static examples = ['<%= config.bin %> agent enable agent-1', '<%= config.bin %> agent enable agent-1 agent-2 --json']
  static strict = false
  static completes = {agent: 'agents'}
  static args = {agent: Args.string({description: 'agent hostname, id or unique id prefix (several allowed)', required: true})}
  static flags = {'dry-run': dryRunFlag, yes: yesFlag}
  static mutates = true

  async run(): Promise<{agents: ToggleResult[]; dry_run: boolean}> {
    const [client, {context}, {enableAgent}, {resolveAgent}, {renderToggle}] = await Promise.all([
      this.kasm(),
      this.resolvedContext(),
      import('../../lib/agents/agents.js'),
      import('../../lib/agents/resolve.js'),
      import('../../lib/agents/render.js'),
    ])
    const servers = await client.getServers()
    const targets = [...new Set(this.positionals.map((ref) => resolveAgent(servers, ref)))]
    const agents: ToggleResult[] = []
    const dryRun = this.flags['dry-run'] ?? false
    for (const server of targets) {
      agents.push(dryRun ? {changed: !server.enabled, enabled: true, hostname: server.hostname, reason: null, server_id: server.server_id, zone_name: server.zone_name ?? null} : await enableAgent(client, server, context.name))
    }

    return this.emit({agents, dry_run: dryRun}, (r) => renderToggle(r.agents, r.dry_run))
  }
}
