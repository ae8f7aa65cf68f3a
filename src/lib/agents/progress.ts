import {formatDuration} from '../duration.js'
import {shortId} from '../kasm/ids.js'
import {runTerminalTask, type TaskOutcome} from '../output/progress.js'
import {shellJoin} from '../remote/shell.js'
import type {RotationEvent} from './rotate.js'

/** json: one JSON object per line on stdout · listr: listr2 on a TTY · plain: one line per event on stderr. */
export type ProgressMode = 'json' | 'listr' | 'plain'

export type Emit = (event: RotationEvent) => void

/** One human line per event; undefined for events that only matter to machines. */
export function describeEvent(e: RotationEvent): string | undefined {
  switch (e.event) {
    case 'agent_done': {
      return `${e.agent}: done${e.enabled ? '' : ' (left disabled: it was disabled before the rotation)'}`
    }

    case 'capacity': {
      return e.ok ? `capacity ok: ${e.message}` : `capacity check failed${e.ignored ? ' (ignored: --ignore-capacity)' : ''}: ${e.message}`
    }

    case 'checked_in': {
      return `${e.agent}: checked in (${e.last_reported})`
    }

    case 'checkin_waiting': {
      return `${e.agent}: waiting for a check-in after the patch (timeout ${formatDuration(e.timeout_ms)})`
    }

    case 'deadline': {
      return `${e.agent}: deadline reached with ${plural(e.sessions_left, 'session')} left${e.force ? ': destroying them (--force)' : ''}`
    }

    case 'destroy_failed': {
      return `${e.agent}: could not destroy session ${shortId(e.kasm_id)} (${e.username ?? 'unknown user'}): ${e.error}`
    }

    case 'destroyed': {
      return `${e.agent}: destroyed session ${shortId(e.kasm_id)} (${e.username ?? 'unknown user'})`
    }

    case 'drain_started': {
      const reason = e.reason ? ` (reason: ${e.reason})` : ''
      return `${e.agent}: ${e.already_disabled ? 'already disabled' : 'disabled'}${reason}; draining until ${e.deadline_at}${e.force ? ', then --force' : ''}`
    }

    case 'drained': {
      return `${e.agent}: drained, no session left (${formatDuration(e.elapsed_ms)})`
    }

    case 'enabled': {
      return `${e.agent}: enabled`
    }

    case 'patch_finished': {
      return `${e.agent}: patch command exited with ${e.exit_code} after ${formatDuration(e.duration_ms)}`
    }

    case 'patch_output': {
      return `${e.agent} | ${e.line}`
    }

    case 'patch_started': {
      return `${e.agent}: running ${shellJoin(e.argv)}${e.ssh ? ' over SSH' : ''}`
    }

    case 'poll_failed': {
      return `${e.agent}: poll failed (${e.error}); retry #${e.failures} in ${formatDuration(e.retry_in_ms)}`
    }

    case 'rotation_started': {
      return `${e.resumed ? 'resuming' : 'starting'} rotation of zone "${e.zone}": ${e.agents.join(', ')} (batch ${e.batch})`
    }

    case 'sessions': {
      const shown = e.sessions.slice(0, 3).map((s) => `${s.username ?? shortId(s.kasm_id)} ${s.age_seconds === null ? '' : formatDuration(s.age_seconds * 1000)}`.trim())
      const more = e.sessions.length > 3 ? `, +${e.sessions.length - 3} more` : ''
      const list = e.sessions.length > 0 ? ` (${shown.join(', ')}${more})` : ''
      return `${e.agent}: ${plural(e.sessions_left, 'session')} left${list}; ${formatDuration(e.elapsed_ms)} of ${formatDuration(e.deadline_ms)}`
    }

    case 'zone_healthy': {
      return `zone "${e.zone}": every agent that should take sessions is enabled and running`
    }
  }
}

export interface ProgressWriters {
  stdout: (line: string) => void
  stderr: (line: string) => void
}

/** The process's own streams, one line per call. */
export const STD_WRITERS: ProgressWriters = {
  stderr: (line) => process.stderr.write(`${line}\n`),
  stdout: (line) => process.stdout.write(`${line}\n`),
}

/** Runs `work`, rendering its events: JSON lines, a listr2 task (a TTY), or plain lines on stderr. */
export async function withProgress<T>(
  mode: ProgressMode,
  title: string,
  work: (emit: Emit) => Promise<T>,
  out: ProgressWriters,
  /** On a TTY, the task's final title and whether it succeeded. */
  outcome?: (result: T) => TaskOutcome,
): Promise<T> {
  if (mode === 'json') return work((e) => out.stdout(JSON.stringify(e)))
  const humanLines = (write: (line: string) => void): Emit => (e) => {
    const line = describeEvent(e)
    if (line) write(line)
  }

  if (mode === 'plain') return work(humanLines(out.stderr))
  return runTerminalTask(title, (report) => work(humanLines(report)), {outcome, persistentOutput: true})
}

function plural(count: number, word: string): string {
  return `${count} ${word}${count === 1 ? '' : 's'}`
}

export function progressMode(options: {json: boolean; stdoutIsTTY: boolean; table: boolean}): ProgressMode {
  if (options.json) return 'json'
  return options.stdoutIsTTY && options.table ? 'listr' : 'plain'
}
