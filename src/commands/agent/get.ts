import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {AgentView} from '../../lib/agents/agents.js'
import type {SessionView} from '../../lib/sessions/sessions.js'

export default class AgentGet extends BaseCommand<typeof AgentGet> {
  static summary = 'Show one Docker agent and the sessions running on it'
  static examples = ['<%= config.bin %> agent get agent-1', '<%= config.bin %> agent get 5d2a8c1e --json']
  static completes = {agent: 'agents'}
  static args = {agent: Args.string({description: 'agent hostname, id or unique id prefix', required: true})}

  async run(): Promise<AgentView & {session_list: SessionView[]}> {
    const [client, {context}, {getAgent}, {sessionsOn}, {toSessionView}, {renderAgent}] = await Promise.all([
      this.kasm(),
      this.resolvedContext(),
      import('../../lib/agents/agents.js'),
      import('../../lib/agents/capacity.js'),
      import('../../lib/sessions/sessions.js'),
      import('../../lib/agents/render.js'),
    ])
    const {agent, fleet, server} = await getAgent(client, context.name, this.args.agent)
    const sessions = sessionsOn(server.server_id, fleet.kasms).map((k) => toSessionView(k, fleet.servers, fleet.now))
    return this.emit({...agent, session_list: sessions}, (r) => renderAgent(r, r.session_list))
  }
}
