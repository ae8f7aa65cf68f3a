import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, durationFlag, yesFlag} from '../../flags.js'
import {exitCodeHelp, OperationError, UsageError} from '../../lib/errors.js'
import type {ZoneNameResult} from '../../lib/hosts/zone-name-result.js'

export default class HostZoneName extends BaseCommand<typeof HostZoneName> {
  static summary = "Move hosts to another deployment zone: edit their zone_name with Kasm's services stopped, one host at a time"
  static description =
    "For each selected host, in turn: back up the files that carry the zone (server.zone_name on web apps; kasmguac.zone and rdp-gateway.zone on connection proxies), run bin/stop, change only that value, run bin/start, and verify (healthcheck ok, Kasm lists the web app's manager in ZONE) before the next host. Locally, or over SSH for hosts with an ssh entry. A failure puts the host back and stops the run; a journal lets --resume or --rollback finish a run that failed or was killed."

  static examples = [
    '<%= config.bin %> host zone-name east --role webapp --dry-run',
    '<%= config.bin %> host zone-name east --all --yes',
    '<%= config.bin %> host zone-name east --host web-1 --host web-2 --timeout 5m',
    '<%= config.bin %> host zone-name east --host web-1 --kasm-root /data/kasm',
    '<%= config.bin %> host zone-name --resume --yes',
    '<%= config.bin %> host zone-name --rollback --yes',
  ]

  static exitCodes = exitCodeHelp([0, 1, 64, 69, 75, 77, [130, "interrupted: the message gives each host's state; --resume or --rollback finishes the run"]])
  static completes = {zone: 'zones'}
  static args = {zone: Args.string({description: 'the zone to move to (name or id); not with --resume / --rollback'})}
  static mutates = true
  static flags = {
    all: Flags.boolean({description: 'every web app and connection proxy of the inventory', exclusive: ['host', 'role']}),
    'create-zone': Flags.boolean({description: 'allow a zone Kasm does not know yet (Kasm registers it when the first web app starts)'}),
    'dry-run': dryRunFlag,
    host: Flags.string({description: 'inventory host to change (repeatable)', exclusive: ['role'], multiple: true}),
    'kasm-root': Flags.string({description: "Kasm install root on the hosts (default: the host entry's kasmRoot, else /opt/kasm)", helpValue: 'DIR'}),
    resume: Flags.boolean({description: 'carry on with the unfinished run, from its journal', exclusive: ['rollback']}),
    role: Flags.option({description: 'every host with this role', options: ['webapp', 'connection-proxy'] as const})(),
    rollback: Flags.boolean({description: 'put every host the unfinished run edited back in its old zone'}),
    timeout: durationFlag({default: 120_000, defaultHelp: async () => '2m', description: 'per host: how long to wait for the web app to be healthy in the new zone (--resume and --rollback keep the first run\'s)'}),
    yes: yesFlag,
  }

  async run(): Promise<ZoneNameResult> {
    const {args, flags} = this
    const mode = flags.resume ? 'resume' : flags.rollback ? 'rollback' : 'change'
    const selected = flags.all || flags.host || flags.role
    if (mode === 'change' && (!args.zone || !selected)) {
      throw new UsageError(args.zone ? 'choose the hosts: --host NAME, --role webapp|connection-proxy or --all' : 'ZONE is required (or --resume / --rollback)', {
        hint: 'e.g. `kasmctl host zone-name east --role webapp --dry-run`',
      })
    }

    if (mode !== 'change' && (args.zone || selected || flags['create-zone'] || flags['kasm-root'])) {
      throw new UsageError(`--${mode} takes the zone, hosts and install root from the journal: give no ZONE, --host, --role, --all, --create-zone or --kasm-root`)
    }

    const [client, {context}, {zoneNameOperation}, render, progress, {confirmTyped, confirmYesNo}] = await Promise.all([
      this.kasm(),
      this.resolvedContext(),
      import('../../lib/hosts/zone-name-operation.js'),
      import('../../lib/hosts/render.js'),
      import('../../lib/hosts/progress.js'),
      import('../../lib/output/prompt.js'),
    ])
    const human = (r: ZoneNameResult) => render.renderZoneNameResult(r, this.term.chalk)
    const result = await zoneNameOperation({
      confirm: async (question, typed) => {
        const options = {interactive: this.term.interactive, yes: flags.yes}
        if (!(typed === undefined ? await confirmYesNo(question, options) : await confirmTyped(question, typed, options))) {
          throw new OperationError('not confirmed: nothing was changed', {code: 'NOT_CONFIRMED'})
        }
      },
      client,
      context,
      createZone: Boolean(flags['create-zone']),
      dryRun: Boolean(flags['dry-run']),
      kasmRoot: flags['kasm-root'],
      mode,
      onWarning: (message) => this.warn(message),
      progress: async (hosts) => (this.format !== 'table' ? progress.silentProgress : this.term.stdoutIsTTY ? progress.listrProgress(hosts) : progress.plainProgress()),
      selection: {all: flags.all, names: flags.host, role: flags.role},
      show: (pending) => this.format === 'table' && this.log(human(pending)),
      timeoutMs: flags.timeout,
      zone: args.zone,
    })
    return this.emit(result, human)
  }
}
