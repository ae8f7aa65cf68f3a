import {BaseCommand} from '../../base-command.js'
import {zoneFlag} from '../../flags.js'
import type {AgentView} from '../../lib/agents/agents.js'

export default class AgentList extends BaseCommand<typeof AgentList> {
  static summary = 'List Docker agents: zone, enabled, status, last check-in, sessions, cores and memory, free capacity'
  static description = `Cores and memory are what Kasm counts (the overrides when set, marked *). FREE is how many sessions of the zone's average size still fit. Agents that kasmctl disabled show why (--reason) and how (disable, drain, rotate).`

  static examples = ['<%= config.bin %> agent list', '<%= config.bin %> agent list --zone east', '<%= config.bin %> agent list --json']
  static flags = {zone: zoneFlag}

  async run(): Promise<{agents: AgentView[]}> {
    const [client, {context}, {listAgents}, {renderAgentList}] = await Promise.all([
      this.kasm(),
      this.resolvedContext(),
      import('../../lib/agents/agents.js'),
      import('../../lib/agents/render.js'),
    ])
    const agents = await listAgents(client, context.name, {zone: this.flags.zone})
    return this.emit({agents}, (r) => renderAgentList(r.agents, this.term))
  }
}
