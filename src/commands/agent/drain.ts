import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {capacityGuardFlags, dryRunFlag, durationFlag, pollIntervalFlag, reasonFlag, yesFlag} from '../../flags.js'
import type {DrainEvent, DrainOutcome, DrainPlan, RecordedDrain} from '../../lib/agents/drain.js'
import {exitCodeHelp, OperationError} from '../../lib/errors.js'
import {withInterrupt} from '../../lib/interrupt.js'

export default class AgentDrain extends BaseCommand<typeof AgentDrain> {
  static summary = 'Disable an agent and wait until no session runs on it, with a deadline'
  static description = `Disables the agent (new sessions go to the zone's other agents), then shows the sessions left, their users and ages, until none is left or the deadline passes. Failed polls (API down) are shown with their reason and retried. At the deadline: without --force, exit 1 with the agent left disabled and the command to undo; with --force, the sessions left are ended with Kasm's admin call destroy_agent_kasms (recorded as an admin action; the key needs SESSIONS_DELETE 803) and waited for. --detach returns after disabling (nothing enforces the deadline until --monitor re-attaches). Ctrl-C stops watching, not the drain.`

  static examples = [
    '<%= config.bin %> agent drain agent-1 --reason "kernel update" --yes',
    '<%= config.bin %> agent drain agent-1 --deadline 30m --force --yes',
    '<%= config.bin %> agent drain agent-1 --detach --yes',
    '<%= config.bin %> agent drain agent-1 --monitor',
    '<%= config.bin %> agent drain agent-1 --dry-run',
  ]

  static exitCodes = exitCodeHelp([0, 1, 64, 69, 77, [130, 'interrupted (Ctrl-C): watching stopped, the drain goes on']])
  static completes = {agent: 'agents'}
  static args = {agent: Args.string({description: 'agent hostname, id or unique id prefix', required: true})}
  static mutates = true
  static flags = {
    ...capacityGuardFlags,
    deadline: durationFlag({default: 3_600_000, defaultHelp: async () => '1h', description: 'how long to wait for sessions to end', exclusive: ['monitor']}),
    detach: Flags.boolean({description: 'return once the agent is disabled; re-attach with --monitor', exclusive: ['monitor']}),
    'dry-run': dryRunFlag,
    force: Flags.boolean({description: 'at the deadline, destroy the sessions left and wait for them to go', exclusive: ['monitor']}),
    monitor: Flags.boolean({description: 'watch a drain started earlier (e.g. with --detach), with its recorded deadline'}),
    'poll-interval': pollIntervalFlag,
    reason: reasonFlag,
    yes: yesFlag,
  }

  protected jsonLines = true

  async run(): Promise<DrainOutcome | DrainPlan> {
    const [client, {context}, {loadFleet}, drain, {guardRemoval}, {resolveAgent}, progress, {renderDrainOutcome, renderDrainPlan}] = await Promise.all([
      this.kasm(),
      this.resolvedContext(),
      import('../../lib/agents/agents.js'),
      import('../../lib/agents/drain.js'),
      import('../../lib/agents/guard.js'),
      import('../../lib/agents/resolve.js'),
      import('../../lib/agents/progress.js'),
      import('../../lib/agents/render.js'),
    ])
    const {flags} = this
    const fleet = await loadFleet(client, {zones: true})
    const server = resolveAgent(fleet.servers, this.args.agent)
    let record: RecordedDrain
    let started: DrainEvent | undefined
    if (flags.monitor) record = await drain.recordedDrain(context.name, server)
    else {
      const capacity = guardRemoval(fleet, [server], {headroom: flags.headroom, ignore: flags['ignore-capacity'] || flags['dry-run']})
      const plan = drain.drainPlan(fleet, server, {capacity, deadlineMs: flags.deadline, force: flags.force})
      if (flags['dry-run']) return this.emit(plan, renderDrainPlan)
      const {confirmYesNo} = await import('../../lib/output/prompt.js')
      const destroying = flags.force ? ', destroying what is left at the deadline' : ''
      if (!(await confirmYesNo(`Drain agent ${server.hostname} (${plan.sessions.length} session(s) running${destroying})?`, {interactive: this.term.interactive, yes: flags.yes}))) {
        throw new OperationError('not confirmed: nothing was changed', {code: 'NOT_CONFIRMED'})
      }

      const result = await drain.startDrain(client, server, {by: 'drain', context: context.name, deadlineMs: flags.deadline, force: flags.force, reason: flags.reason})
      record = result.record
      started = drain.drainStartedEvent(record, result.alreadyDisabled)
      if (flags.detach) {
        if (this.jsonEnabled()) this.logJson(started)
        return this.emit(drain.detachedOutcome(record), (o) => `agent ${o.hostname} disabled; draining until ${o.deadline_at}, detached. Watch with: kasmctl agent drain ${o.hostname} --monitor`)
      }
    }

    const mode = progress.progressMode({json: this.jsonEnabled(), stdoutIsTTY: this.term.stdoutIsTTY, table: this.format === 'table'})
    const outcome = await withInterrupt((signal) =>
      progress.withProgress(mode, `Draining ${server.hostname}`, async (emit) => {
        if (started) emit(started)
        return drain.watchDrain(client, record, {onEvent: emit, pollIntervalMs: flags['poll-interval'], signal})
      }, progress.STD_WRITERS, (o) => ({
        ok: o.status === 'drained',
        title: `${o.hostname}: ${o.status}${o.sessions_left.length > 0 ? `, ${o.sessions_left.length} session(s) left` : ''}`,
      })),
    )
    if (outcome.status === 'timed-out' || outcome.status === 'failed') throw drain.drainFailure(outcome)
    if (outcome.status !== 'interrupted') return this.emit(outcome, renderDrainOutcome)
    // Ctrl-C: say what goes on, then exit 130 (oclif prints nothing more).
    if (this.jsonEnabled()) this.logJson(outcome)
    else this.emit(outcome, renderDrainOutcome)
    return this.exit(130)
  }
}
