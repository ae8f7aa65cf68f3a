import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {ToggleResult} from '../../lib/agents/agents.js'

export default class AgentEnable extends BaseCommand<typeof AgentEnable> {
  static summary = 'Let agents take new sessions again; idempotent'
  static description = 'Also forgets the reason and drain kasmctl recorded when it disabled the agent. An agent already enabled is reported (exit 0).'
  static examples = ['<%= config.bin %> agent enable agent-1', '<%= config.bin %> agent enable agent-1 agent-2 --json']
  static strict = false
  static args = {agent: Args.string({description: 'agent hostname, id or unique id prefix (several allowed)', required: true})}

  async run(): Promise<{agents: ToggleResult[]}> {
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
    for (const server of targets) agents.push(await enableAgent(client, server, context.name))
    return this.emit({agents}, (r) => renderToggle(r.agents))
  }
}
