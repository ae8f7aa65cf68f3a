import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {zoneFlag} from '../../flags.js'
import type {SessionView} from '../../lib/sessions/sessions.js'

export default class SessionList extends BaseCommand<typeof SessionList> {
  static summary = 'List sessions: user, agent, zone, image, status, age and time to expiry'
  static description = 'What `agent drain` waits on. Filters combine; get_kasms has no server-side filter, so kasmctl filters the full list.'
  static examples = [
    '<%= config.bin %> session list',
    '<%= config.bin %> session list --agent agent-1',
    '<%= config.bin %> session list --zone east --user alice@kasm.local --json',
  ]

  static flags = {
    agent: Flags.string({description: 'only sessions on this agent (hostname, id or unique id prefix)'}),
    user: Flags.string({description: 'only sessions of this user (username or user id)'}),
    zone: zoneFlag,
  }

  async run(): Promise<{sessions: SessionView[]}> {
    const [client, {listSessions}, {renderSessions}] = await Promise.all([
      this.kasm(),
      import('../../lib/sessions/sessions.js'),
      import('../../lib/sessions/render.js'),
    ])
    const sessions = await listSessions(client, {agent: this.flags.agent, user: this.flags.user, zone: this.flags.zone})
    return this.emit({sessions}, (r) => renderSessions(r.sessions))
  }
}
