import {NotFoundError, OperationError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import type {Kasm, Server} from '../kasm/types.js'
import {destroyAgentSessions, serverNow, type SessionView, toSessionView} from '../sessions/sessions.js'
import {disableAgent, type Fleet} from './agents.js'
import {sessionsOn} from './capacity.js'
import type {CapacityCheck} from './guard.js'
import {type PollFailure, pollUntil} from './poll.js'
import {type DisableRecord, readDisableRecord, updateDrainRecord} from './state.js'

export const DEFAULT_DRAIN_DEADLINE = '1h'
export const DEFAULT_POLL_INTERVAL = '5s'
/** After --force destroyed the sessions left, how long to wait for them to go. */
const FORCE_GRACE_MS = 5 * 60_000
/** While nothing changes, a "sessions" event is still repeated this often (a heartbeat). */
const HEARTBEAT_MS = 60_000

/** A session that keeps a drain waiting. */
export interface SessionLeft {
  kasm_id: string
  username: null | string
  age_seconds: null | number
  operational_status: string
}

/** Progress of a drain: rendered by listr2, as plain lines, or one JSON object per line (docs/json.md). */
export type DrainEvent =
  | {event: 'deadline'; agent: string; sessions_left: number; force: boolean}
  | {event: 'destroy_failed'; agent: string; kasm_id: string; username: null | string; error: string}
  | {event: 'destroyed'; agent: string; kasm_id: string; username: null | string}
  | {event: 'drain_started'; agent: string; server_id: string; already_disabled: boolean; deadline_at: string; force: boolean; reason: null | string}
  | {event: 'drained'; agent: string; elapsed_ms: number}
  | {event: 'poll_failed'; agent: string; code: string; error: string; failures: number; retry_in_ms: number}
  | {event: 'sessions'; agent: string; sessions_left: number; sessions: SessionLeft[]; elapsed_ms: number; deadline_ms: number}

/**
 * drained: no session left · timed-out: deadline passed (no --force) · failed: --force could not clear it ·
 * interrupted: Ctrl-C stopped the watching (the drain goes on) · detached: --detach returned after disabling.
 */
export type DrainStatus = 'detached' | 'drained' | 'failed' | 'interrupted' | 'timed-out'

export interface DrainOutcome {
  server_id: string
  hostname: string
  status: DrainStatus
  started_at: string
  deadline_at: string
  elapsed_ms: number
  /** Sessions still on the agent at the last successful poll. */
  sessions_left: SessionLeft[]
  /** Sessions destroyed by --force. */
  destroyed: string[]
  reason: null | string
}

export type RecordedDrain = DisableRecord & {drain: NonNullable<DisableRecord['drain']>}

export interface StartDrainOptions {
  context: string
  deadlineMs: number
  force: boolean
  reason?: string
  by: DisableRecord['by']
}

/** Disables the agent and records the drain (deadline, force) so that `--monitor` can re-attach. */
export async function startDrain(client: KasmClient, server: Server, options: StartDrainOptions): Promise<{alreadyDisabled: boolean; record: RecordedDrain}> {
  const started = new Date()
  const drain = {
    deadlineAt: new Date(started.getTime() + options.deadlineMs).toISOString(),
    force: Boolean(options.force),
    startedAt: started.toISOString(),
    status: 'draining' as const,
    updatedAt: started.toISOString(),
  }
  const result = await disableAgent(client, server, {by: options.by, context: options.context, drain, reason: options.reason})
  return {alreadyDisabled: !result.changed, record: await recordedDrain(options.context, server)}
}

export function drainStartedEvent(record: RecordedDrain, alreadyDisabled: boolean): DrainEvent {
  return {
    agent: record.hostname,
    already_disabled: alreadyDisabled,
    deadline_at: record.drain.deadlineAt,
    event: 'drain_started',
    force: record.drain.force,
    reason: record.reason ?? null,
    server_id: record.agentId,
  }
}

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
 * Waits until no session runs on the agent, or until the recorded deadline. At the deadline with
 * `force`, ends the sessions left with the admin call destroy_agent_kasms and waits for them to go. Every
 * failed poll is reported and retried. The outcome is written to the drain record; an interrupted
 * watch (Ctrl-C) leaves the record "draining": the agent stays disabled and the drain goes on.
 */
export async function watchDrain(client: KasmClient, record: RecordedDrain, options: WatchDrainOptions): Promise<DrainOutcome> {
  const agent = record.hostname
  const startedAt = Date.parse(record.drain.startedAt)
  const deadlineAt = Date.parse(record.drain.deadlineAt)
  let left: SessionLeft[] = []
  let lastKey: string | undefined
  let lastEmit = 0

  const read = async (): Promise<Kasm[]> => {
    const {currentTime, kasms} = await client.getKasms()
    const now = serverNow(currentTime)
    const on = sessionsOn(record.agentId, kasms)
    left = on.map((kasm) => {
      const view = toSessionView(kasm, [], now)
      return {age_seconds: view.age_seconds, kasm_id: view.kasm_id, operational_status: view.operational_status, username: view.username}
    })
    return on
  }

  const report = () => {
    const key = left.map((s) => `${s.kasm_id}:${s.operational_status}`).join(',')
    if (key === lastKey && Date.now() - lastEmit < HEARTBEAT_MS) return
    lastKey = key
    lastEmit = Date.now()
    options.onEvent({
      agent,
      deadline_ms: deadlineAt - startedAt,
      elapsed_ms: Date.now() - startedAt,
      event: 'sessions',
      sessions: left,
      sessions_left: left.length,
    })
  }

  const poll = (until: number) =>
    pollUntil({
      deadlineAt: until,
      done: (kasms) => kasms.length === 0,
      intervalMs: options.pollIntervalMs,
      onFailure: (failure: PollFailure) => options.onEvent({agent, code: failure.code, error: failure.error, event: 'poll_failed', failures: failure.failures, retry_in_ms: failure.retryInMs}),
      onValue: report,
      read,
      signal: options.signal,
    })

  const destroyed: string[] = []
  let result = await poll(deadlineAt)
  let status: DrainStatus = result.status === 'done' ? 'drained' : result.status === 'interrupted' ? 'interrupted' : 'timed-out'
  if (status === 'timed-out') options.onEvent({agent, event: 'deadline', force: record.drain.force, sessions_left: left.length})
  if (status === 'timed-out' && record.drain.force) {
    for (const outcome of await destroyAgentSessions(client, record.agentId, result.value ?? (await read()))) {
      options.onEvent(
        outcome.destroyed
          ? {agent, event: 'destroyed', kasm_id: outcome.kasm_id, username: outcome.username}
          : {agent, error: outcome.error ?? 'unknown error', event: 'destroy_failed', kasm_id: outcome.kasm_id, username: outcome.username},
      )
      if (outcome.destroyed) destroyed.push(outcome.kasm_id)
    }

    // Nothing to wait for when no session could be destroyed (the API is down, say): fail now, saying so.
    if (destroyed.length === 0 && left.length > 0) status = 'failed'
    else {
      result = await poll(Date.now() + Math.max(FORCE_GRACE_MS, 4 * options.pollIntervalMs))
      status = result.status === 'done' ? 'drained' : result.status === 'interrupted' ? 'interrupted' : 'failed'
    }
  }

  if (status === 'drained') {
    left = []
    options.onEvent({agent, elapsed_ms: Date.now() - startedAt, event: 'drained'})
  }

  if (status !== 'interrupted') await updateDrainRecord(record.context, record.agentId, {sessionsLeft: left.length, status})
  return {
    deadline_at: record.drain.deadlineAt,
    destroyed,
    elapsed_ms: Date.now() - startedAt,
    hostname: record.hostname,
    reason: record.reason ?? null,
    server_id: record.agentId,
    sessions_left: left,
    started_at: record.drain.startedAt,
    status,
  }
}

/** A drain that ended without emptying the agent: exit 1, the agent left disabled, the exact undo command. */
export function drainFailure(outcome: DrainOutcome): OperationError {
  const left = outcome.sessions_left.length
  const what =
    outcome.status === 'timed-out'
      ? `deadline ${outcome.deadline_at} reached with ${left} session(s) left on agent ${outcome.hostname}`
      : `--force could not clear agent ${outcome.hostname}: ${left} session(s) still there`
  return new OperationError(`${what}; the agent stays disabled`, {
    code: outcome.status === 'timed-out' ? 'DRAIN_DEADLINE' : 'DRAIN_FAILED',
    details: {outcome},
    hint: `undo with \`kasmctl agent enable ${outcome.hostname}\`; see what is left with \`kasmctl session list --agent ${outcome.hostname}\`; ${
      outcome.status === 'timed-out' ? 'end those sessions' : 'try again once the sessions can be ended'
    } with \`kasmctl agent drain ${outcome.hostname} --force --deadline 0s\``,
  })
}

/** What `--detach` reports: the drain as recorded, nobody watching. */
export function detachedOutcome(record: RecordedDrain): DrainOutcome {
  return {
    deadline_at: record.drain.deadlineAt,
    destroyed: [],
    elapsed_ms: 0,
    hostname: record.hostname,
    reason: record.reason ?? null,
    server_id: record.agentId,
    sessions_left: [],
    started_at: record.drain.startedAt,
    status: 'detached',
  }
}

/** `agent drain --dry-run`: the sessions it would wait for (or destroy with --force) and the capacity check. */
export interface DrainPlan {
  dry_run: true
  hostname: string
  server_id: string
  sessions: SessionView[]
  deadline_ms: number
  force: boolean
  capacity: CapacityCheck[]
}

export function drainPlan(fleet: Fleet, server: Server, options: {capacity: CapacityCheck[]; deadlineMs: number; force: boolean}): DrainPlan {
  return {
    capacity: options.capacity,
    deadline_ms: options.deadlineMs,
    dry_run: true,
    force: options.force,
    hostname: server.hostname,
    server_id: server.server_id,
    sessions: sessionsOn(server.server_id, fleet.kasms).map((k) => toSessionView(k, fleet.servers, fleet.now)),
  }
}
