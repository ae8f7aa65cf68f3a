import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {capacityGuardFlags, dryRunFlag, durationFlag, integerFlag, pollIntervalFlag, reasonFlag, yesFlag} from '../../flags.js'
import type {RotationSummary} from '../../lib/agents/rotate.js'
import {exitCodeHelp, InterruptedError, OperationError, UsageError} from '../../lib/errors.js'
import {withInterrupt} from '../../lib/interrupt.js'

export default class AgentRotate extends BaseCommand<typeof AgentRotate> {
  static summary = "Patch a zone's agents one at a time: drain, run a command, wait for check-in, enable, next"
  static description = `For each agent of the zone (by hostname), at most --batch at a time: capacity check, drain (disable and wait for its sessions, --deadline), the patch command, a check-in newer than the command's end with status running (--checkin-timeout), enable, and the zone healthy again before the next. {host} and {agent_id} in --exec are replaced per agent; the command runs locally without a shell (quotes are honoured), through sh -c with --shell, or on the agent's host over SSH (context host inventory) with --ssh. Patch commands should be safe to run twice: --resume re-runs an interrupted one. Progress is saved before every step; after Ctrl-C, kill -9 or a failed step, --resume carries on and --abort re-enables what the rotation disabled. --json prints one JSON event per line.`

  static examples = [
    '<%= config.bin %> agent rotate --zone default --exec "ssh root@{host} apt-get -y upgrade" --dry-run',
    '<%= config.bin %> agent rotate --zone default --exec "/opt/kasm/bin/patch {agent_id}" --ssh --yes',
    '<%= config.bin %> agent rotate --zone default --exec "ansible-playbook patch.yml --limit {host}" --deadline 2h --force --yes --json',
    '<%= config.bin %> agent rotate --zone default --resume',
    '<%= config.bin %> agent rotate --zone default --abort',
  ]

  static exitCodes = exitCodeHelp([0, 1, 64, 69, 75, 77, [130, 'interrupted (Ctrl-C): progress saved, resume with --resume']])
  static mutates = true
  static flags = {
    ...capacityGuardFlags,
    abort: Flags.boolean({description: 'end an unfinished rotation: enable again the agents it disabled', exclusive: ['resume', 'exec', 'dry-run']}),
    batch: integerFlag({default: 1, description: 'agents out of service at once', max: 1000, min: 1}),
    'checkin-timeout': durationFlag({default: 600_000, defaultHelp: async () => '10m', description: 'how long to wait for an agent to check in after its patch'}),
    deadline: durationFlag({default: 3_600_000, defaultHelp: async () => '1h', description: 'drain deadline per agent'}),
    'dry-run': dryRunFlag,
    exec: Flags.string({description: 'patch command, with {host} and {agent_id} placeholders', helpValue: 'CMD'}),
    force: Flags.boolean({description: 'at the drain deadline, destroy the sessions left instead of stopping'}),
    'poll-interval': pollIntervalFlag,
    reason: reasonFlag,
    resume: Flags.boolean({description: 'carry on with an unfinished rotation where it stopped', exclusive: ['abort', 'exec']}),
    shell: Flags.boolean({description: 'run the patch command through sh -c (placeholders are shell-quoted)'}),
    ssh: Flags.boolean({description: "run the patch command on the agent's host over SSH (context host inventory)"}),
    yes: yesFlag,
    zone: Flags.string({description: 'deployment zone (name, id or unique id prefix)', required: true}),
  }

  protected jsonLines = true

  async run(): Promise<RotationSummary> {
    const [client, {context}, rotation, {resolveZone}, progress, {renderRotation}] = await Promise.all([
      this.kasm(),
      this.resolvedContext(),
      import('../../lib/agents/rotate.js'),
      import('../../lib/agents/resolve.js'),
      import('../../lib/agents/progress.js'),
      import('../../lib/agents/render.js'),
    ])
    const {flags} = this
    const zone = resolveZone(await client.getZones({brief: true}), flags.zone)
    const mode = progress.progressMode({json: this.jsonEnabled(), stdoutIsTTY: this.term.stdoutIsTTY, table: this.format === 'table'})
    const writers = progress.STD_WRITERS
    if (!flags.resume && !flags.abort && !flags.exec) throw new UsageError('--exec CMD is required to start a rotation (or give --resume / --abort)')
    const state = flags.exec
      ? await rotation.newRotation(client, context.name, zone, {
          batch: flags.batch, checkinTimeoutMs: flags['checkin-timeout'], deadlineMs: flags.deadline, exec: flags.exec, force: flags.force,
          headroom: flags.headroom, ignoreCapacity: flags['ignore-capacity'], reason: flags.reason, shell: flags.shell, ssh: flags.ssh,
        })
      : undefined
    const runMode = flags.abort ? 'abort' : flags.resume ? 'resume' : 'start'
    if (flags['dry-run']) {
      // Fails where the real run would (an unfinished rotation in the way, or none to resume).
      const unfinished = await rotation.unfinishedRotation(context.name, zone.zone_name, runMode)
      return this.emit(await rotation.planRotation({client, context}, unfinished ?? state!), renderRotation)
    }

    const {existing, lock} = await rotation.lockRotation(context.name, zone.zone_name, runMode, (line) => this.warn(line))
    try {
      return await withInterrupt(async (signal) => {
        try {
          const run = {client, context, pollIntervalMs: flags['poll-interval'], signal}
          if (flags.abort) return this.emit(await progress.withProgress(mode, `Aborting the rotation of ${zone.zone_name}`, (onEvent) => rotation.abortRotation({...run, onEvent}, existing!), writers), renderRotation)
          const target = existing ?? state!
          if (!existing) await this.confirm(`Rotate the ${target.agents.length} agent(s) of zone ${zone.zone_name}, running ${flags.exec} on each?`)
          const summary = await progress.withProgress(mode, `Rotating zone ${zone.zone_name}`, (onEvent) => rotation.runRotation({...run, onEvent}, target), writers)
          return this.emit(summary, renderRotation)
        } catch (error) {
          if (!signal.aborted) throw error
          const again = `kasmctl agent rotate --zone ${zone.zone_name}`
          throw new InterruptedError(`${(error as Error).message}; the rotation's progress is saved`, {
            cause: error,
            details: {zone: zone.zone_name},
            hint: `carry on with \`${again} --resume\`, or undo with \`${again} --abort\``,
          })
        }
      })
    } finally {
      await lock.release()
    }
  }

  private async confirm(question: string): Promise<void> {
    const {confirmYesNo} = await import('../../lib/output/prompt.js')
    if (!(await confirmYesNo(question, {interactive: this.term.interactive, yes: this.flags.yes}))) {
      throw new OperationError('not confirmed: nothing was changed', {code: 'NOT_CONFIRMED'})
    }
  }
}
