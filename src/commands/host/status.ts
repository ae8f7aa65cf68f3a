import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {HostStatus} from '../../lib/hosts/status.js'

export default class HostStatusCommand extends BaseCommand<typeof HostStatusCommand> {
  static summary = 'Show each inventory host: reachable, Kasm version, services up, zone_name'
  static description = `Reads every host of the context's inventory at once, locally or over SSH (BatchMode): the release
<root>/current points at, whether Kasm's containers run and the web app answers its healthcheck, and the zone its
config files name. A host that cannot be read is listed with the reason; the exit code stays 0.`

  static examples = [
    '<%= config.bin %> host status',
    '<%= config.bin %> host status --host web-1 --output json',
    '<%= config.bin %> host status --role webapp --kasm-root /data/kasm',
  ]

  static flags = {
    host: Flags.string({description: 'inventory host to show (repeatable)', exclusive: ['role'], multiple: true}),
    'kasm-root': Flags.string({description: "Kasm install root on the hosts (default: the host entry's kasmRoot, else /opt/kasm)", helpValue: 'DIR'}),
    role: Flags.option({description: 'only hosts with this role', options: ['webapp', 'agent', 'db', 'connection-proxy', 'proxy'] as const})(),
  }

  async run(): Promise<{hosts: HostStatus[]}> {
    const [{context}, {selectHosts}, {hostStatuses}, {renderHostStatuses}] = await Promise.all([
      this.resolvedContext(),
      import('../../lib/hosts/inventory.js'),
      import('../../lib/hosts/status.js'),
      import('../../lib/hosts/render.js'),
    ])
    const hosts = selectHosts(context, {names: this.flags.host, role: this.flags.role})
    // The healthcheck needs no credentials, but the client does: without an API key, web apps go unchecked.
    const client = context.api.key ? await this.kasm() : undefined
    const statuses = await hostStatuses(hosts, {healthcheck: client && ((url) => client.healthcheck(url)), kasmRoot: this.flags['kasm-root']})
    return this.emit({hosts: statuses}, (r) => renderHostStatuses(r.hosts, this.term.chalk))
  }
}
