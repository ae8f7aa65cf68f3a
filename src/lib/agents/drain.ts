import {NotFoundError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import type {Server} from '../kasm/types.js'
import {destroySessions, serverNow, toSessionView} from '../sessions/sessions.js'
import {sessionsOn} from './capacity.js'
import {disableAgent} from './agents.js'
import {pollUntil, type PollFailure} from './poll.js'
import {type DisableRecord, readDisableRecord, updateDrainRecord} from './state.js'

export const DEFAULT_DRAIN_DEADLINE = '1h'
export const DEFAULT_POLL_INTERVAL = '5s'
/** After --force destroyed the sessions left, how long to wait for them to go. */
const FORCE_GRACE_MS = 5 * 60_000
/** A "sessions" event is repeated at least this often while nothing changes (a heartbeat). */
const HEARTBEAT_MS = 60_000

/** A session that keeps a drain waiting. */
export interface SessionLeft {
  kasmId: string
  username: null | string
  ageSeconds: null | number
  status: string
}

/** Progress of a drain, for listr2 / plain lines / --json lines. */
export type DrainEvent =
  | {event: 'deadline'; agent: string; sessionsLeft: number; force: boolean}
  | {event: 'destroy-failed'; agent: string; kasmId: string; username: null | string; error: string}
  | {event: 'destroyed'; agent: string; kasmId: string; username: null | string}
  | {event: 'drain-started'; agent: string; agentId: string; alreadyDisabled: boolean; deadlineAt: string; reason: null | string}
  | {event: 'drained'; agent: string; elapsedMs: number}
  | ({event: 'poll-failed'; agent: string} & PollFailure)
  | {event: 'sessions'; agent: string; sessionsLeft: number; sessions: SessionLeft[]; elapsedMs: number; deadlineMs: number}

export type DrainStatus = 'drained' | 'failed' | 'interrupted' | 'timed-out'

export interface DrainOutcome {
  agentId: string
  hostname: string
  status: DrainStatus
  startedAt: string
  deadlineAt: string
  elapsedMs: number
  /** Sessions still on the agent when the drain stopped (last successful poll). */
  sessionsLeft: SessionLeft[]
  /** Sessions destroyed by --force. */
  destroyed: string[]
  reason: null | string
}

export interface StartDrainOptions {
  context: string
  deadlineMs: number
  force: boolean
  reason?: string
  by: DisableRecord['by']
}

/** Disables the agent and records the drain (deadline, force) so `--monitor` can re-attach. */
export async function startDrain(client: KasmClient, server: Server, options: StartDrainOptions): Promise<{alreadyDisabled: boolean; record: RecordedDrain}> {
  const started = new Date()
  const drain = {
    deadlineAt: new Date(started.getTime() + options.deadlineMs).toISOString(),
    force: options.force,
    startedAt: started.toISOString(),
    status: 'draining' as const,
    updatedAt: started.toISOString(),
  }
  const result = await disableAgent(client, server, {by: options.by, context: options.context, drain, reason: options.reason})
  return {alreadyDisabled: !result.changed, record: await recordedDrain(options.context, server)}
}

export type RecordedDrain = DisableRecord & {drain: NonNullable<DisableRecord['drain']>}

/** The recorded drain of an agent, for `--monitor`. */
export async function recordedDrain(context: string, server: Server): Promise<RecordedDrain> {
  const record = await readDisableRecord(context, server.server_id)
  if (!record?.drain) {
    throw new NotFoundError(`no drain of agent ${server.hostname} is recorded for context "${context}"`, {
      hint: `start one with \`kasmctl agent drain ${server.hostname}\``,
    })
  }

  return record as RecordedDrain
}

export interface WatchDrainOptions {
  pollIntervalMs: number
  signal?: AbortSignal
  onEvent: (event: DrainEvent) => void
}

/**
 * Waits until no session runs on the agent, or the recorded deadline. At the deadline with
 * `force`, destroys the sessions left (with each owner's user_id) and waits for them to go.
 * Updates the drain record with the outcome. Ctrl-C (the signal) only stops the watching.
 */
export async function watchDrain(client: KasmClient, record: RecordedDrain, options: WatchDrainOptions): Promise<DrainOutcome> {
  const agent = record.hostname
  const startedAt = Date.parse(record.drain.startedAt)
  const deadlineAt = Date.parse(record.drain.deadlineAt)
  let lastKey = ''
  let lastEmit = 0
  let left: SessionLeft[] = []
  const read = async () => {
    const {currentTime, kasms} = await client.getKasms()
    const now = serverNow(currentTime)
    const on = sessionsOn(record.agentId, kasms)
    left = on.map((k) => toSessionView(k, [], now)).map((s) => ({ageSeconds: s.ageSeconds, kasmId: s.kasmId, status: s.status, username: s.username}))
    return on
  }

  const report = () => {
    const key = left.map((s) => `${s.kasmId}:${s.status}`).join(',')
    if (key === lastKey && Date.now() - lastEmit < HEARTBEAT_MS) return
    lastKey = key
    lastEmit = Date.now()
    options.onEvent({agent, deadlineMs: deadlineAt - startedAt, elapsedMs: Date.now() - startedAt, event: 'sessions', sessions: left, sessionsLeft: left.length})
  }

  const poll = (until: number) =>
    pollUntil({
      deadlineAt: until,
      done: (kasms) => kasms.length === 0,
      intervalMs: options.pollIntervalMs,
      onFailure: (failure) => options.onEvent({agent, event: 'poll-failed', ...failure}),
      onValue: report,
      read,
      signal: options.signal,
    })

  const destroyed: string[] = []
  let result = await poll(deadlineAt)
  let status: DrainStatus = result.status === 'done' ? 'drained' : result.status === 'interrupted' ? 'interrupted' : 'timed-out'
  if (status === 'timed-out' && record.drain.force) {
    options.onEvent({agent, event: 'deadline', force: true, sessionsLeft: left.length})
    const kasms = result.value ?? (await read())
    for (const outcome of await destroySessions(client, kasms, [])) {
      if (outcome.destroyed) {
        destroyed.push(outcome.kasmId)
        options.onEvent({agent, event: 'destroyed', kasmId: outcome.kasmId, username: outcome.username})
      } else {
        options.onEvent({agent, error: outcome.error ?? 'unknown error', event: 'destroy-failed', kasmId: outcome.kasmId, username: outcome.username})
      }
    }

    result = await poll(Date.now() + Math.max(FORCE_GRACE_MS, 4 * options.pollIntervalMs))
    status = result.status === 'done' ? 'drained' : result.status === 'interrupted' ? 'interrupted' : 'failed'
  } else if (status === 'timed-out') {
    options.onEvent({agent, event: 'deadline', force: false, sessionsLeft: left.length})
  }

  if (status === 'drained') {
    left = []
    options.onEvent({agent, elapsedMs: Date.now() - startedAt, event: 'drained'})
  }

  // Interrupted: the drain goes on (the agent stays disabled), so the record stays "draining".
  if (status !== 'interrupted') await updateDrainRecord(record.context, record.agentId, {sessionsLeft: left.length, status})
  return {
    agentId: record.agentId,
    deadlineAt: record.drain.deadlineAt,
    destroyed,
    elapsedMs: Date.now() - startedAt,
    hostname: record.hostname,
    reason: record.reason ?? null,
    sessionsLeft: left,
    startedAt: record.drain.startedAt,
    status,
  }
}
