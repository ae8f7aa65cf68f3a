import {mkdir, rm} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {dataDir} from '../config/paths.js'
import type {ContextConfig, HostEntry} from '../config/types.js'
import {OperationError, UsageError, listValues} from '../errors.js'
import {writeFileAtomic} from '../fs-util.js'
import type {KasmClient} from '../kasm/client.js'
import {sameId} from '../kasm/ids.js'
import {parseKasmDate} from '../kasm/normalize.js'
import type {Server, Zone} from '../kasm/types.js'
import {acquireLock, type Lock} from '../lock.js'
import {compareNames} from '../text.js'
import {enableAgent, loadFleet} from './agents.js'
import {isAvailable} from './capacity.js'
import {type DrainEvent, drainStartedEvent, startDrain, watchDrain} from './drain.js'
import {assertCapacity, type CapacityCheck, checkCapacity, parseHeadroom} from './guard.js'
import {patchArgv, type PatchCommand, runPatch} from './patch.js'
import {pollUntil} from './poll.js'
import {isAgent} from './resolve.js'
import {readJson, removeDisableRecord, safeName} from './state.js'

/** Where an agent is in its rotation. */
export type RotationStep = 'checking_in' | 'done' | 'draining' | 'enabling' | 'patching' | 'pending'

export interface RotationAgent {
  serverId: string
  hostname: string
  /** Enabled before the rotation: only those are enabled again afterwards. */
  wasEnabled: boolean
  step: RotationStep
  /** The rotation disabled it, so --abort must enable it again. */
  disabledByRotation: boolean
  patch?: {startedAt: string; endedAt?: string; exitCode?: number}
  /** last_reported read after the patch ended: a newer check-in proves the agent came back. */
  checkinBaseline?: null | string
}

export interface RotationSettings {
  exec: string
  shell: boolean
  ssh: boolean
  batch: number
  deadlineMs: number
  checkinTimeoutMs: number
  headroom: string
  ignoreCapacity: boolean
  force: boolean
  reason?: string
}

/** The state file, written before every step: <data dir>/rotations/<context>-<zone>.json. */
export interface RotationState {
  version: 1
  context: string
  zoneId: string
  zoneName: string
  startedAt: string
  updatedAt: string
  status: 'failed' | 'interrupted' | 'running'
  error?: string
  settings: RotationSettings
  agents: RotationAgent[]
}

/** Progress of a rotation (docs/json.md): drain events plus these. */
export type RotationEvent =
  | DrainEvent
  | {event: 'agent_done'; agent: string; enabled: boolean}
  | {event: 'capacity'; agents: string[]; ok: boolean; ignored: boolean; message: string}
  | {event: 'checked_in'; agent: string; last_reported: string}
  | {event: 'checkin_waiting'; agent: string; since: null | string; timeout_ms: number}
  | {event: 'enabled'; agent: string}
  | {event: 'patch_finished'; agent: string; exit_code: number; duration_ms: number}
  | {event: 'patch_output'; agent: string; line: string}
  | {event: 'patch_started'; agent: string; argv: string[]; ssh: boolean}
  | {event: 'rotation_started'; zone: string; agents: string[]; batch: number; resumed: boolean}
  | {event: 'zone_healthy'; zone: string}

/** `agent rotate --json` final line and `--dry-run` plan. */
export interface RotationSummary {
  zone_name: string
  status: 'aborted' | 'done' | 'planned'
  agents: Array<{hostname: string; server_id: string; step: RotationStep; was_enabled: boolean}>
  /** Dry run: the batches in order, with the capacity check each would face now. */
  plan?: Array<{agents: string[]; argv: string[][]; capacity: CapacityCheck}>
}

export interface RotationRun {
  client: KasmClient
  context: ContextConfig
  pollIntervalMs: number
  signal?: AbortSignal
  onEvent: (event: RotationEvent) => void
}

export function rotationStatePath(context: string, zoneName: string): string {
  return join(dataDir(), 'rotations', `${safeName(context)}-${safeName(zoneName)}.json`)
}

export async function readRotation(context: string, zoneName: string): Promise<RotationState | undefined> {
  return readJson<RotationState>(rotationStatePath(context, zoneName))
}

/** Agents of the zone in a stable order (hostname), as the rotation will take them. */
export async function newRotation(client: KasmClient, context: string, zone: Zone, settings: RotationSettings): Promise<RotationState> {
  parseHeadroom(settings.headroom)
  if (!Number.isInteger(settings.batch) || settings.batch < 1) throw new UsageError(`--batch ${settings.batch} is not valid: use a whole number of agents, 1 or more`)
  const servers = await client.getServers()
  const agents = servers
    .filter((s) => isAgent(s) && sameId(s.zone_id, zone.zone_id))
    .sort((a, b) => compareNames(a.hostname, b.hostname))
  if (agents.length === 0) throw new UsageError(`zone "${zone.zone_name}" has no Docker agents to rotate`)
  const now = new Date().toISOString()
  const flag = (value: boolean | undefined) => Boolean(value)
  return {
    agents: agents.map((s) => ({disabledByRotation: false, hostname: s.hostname, serverId: s.server_id, step: 'pending', wasEnabled: s.enabled})),
    context,
    settings: {...settings, force: flag(settings.force), ignoreCapacity: flag(settings.ignoreCapacity), shell: flag(settings.shell), ssh: flag(settings.ssh)},
    startedAt: now,
    status: 'running',
    updatedAt: now,
    version: 1,
    zoneId: zone.zone_id,
    zoneName: zone.zone_name,
  }
}

/** The order, the commands and the capacity check each batch would face with today's sessions. Changes nothing. */
export async function planRotation(run: Pick<RotationRun, 'client' | 'context'>, state: RotationState): Promise<RotationSummary> {
  hostsFor(run.context, state)
  const fleet = await loadFleet(run.client, {zones: true})
  const headroom = parseHeadroom(state.settings.headroom)
  const patch = {command: state.settings.exec, shell: state.settings.shell}
  return {
    ...summary(state, 'planned'),
    plan: batches(state).map((batch) => ({
      agents: batch.map((a) => a.hostname),
      argv: batch.map((a) => patchArgv(patch, {agent_id: a.serverId, host: a.hostname})),
      capacity: checkCapacity(fleet, state.zoneId, batch.map((a) => a.serverId), headroom),
    })),
  }
}

/**
 * Takes the zone's rotation lock (a second concurrent run gets LockedError, exit 75) and refuses
 * to start over an unfinished rotation: that one must be resumed or aborted first.
 */
export async function lockRotation(
  context: string,
  zoneName: string,
  mode: RotationMode,
  onWarning?: (message: string) => void,
): Promise<{lock: Lock; existing?: RotationState}> {
  const path = rotationStatePath(context, zoneName)
  await mkdir(dirname(path), {mode: 0o700, recursive: true})
  // Taking over from a run killed mid-patch first stops the patch command it left running (src/lib/lock.ts).
  const lock = await acquireLock(`${path.replace(/\.json$/, '')}.lock`, {onWarning, purpose: `agent rotate --zone ${zoneName}`})
  try {
    return {existing: await unfinishedRotation(context, zoneName, mode), lock}
  } catch (error) {
    await lock.release()
    throw error
  }
}

export type RotationMode = 'abort' | 'resume' | 'start'

/**
 * The unfinished rotation of the zone, checked against what the run is for: starting over one
 * fails (ROTATION_UNFINISHED), resuming or aborting without one is a usage error. `--dry-run`
 * calls it too, so that it fails exactly when the real run would.
 */
export async function unfinishedRotation(context: string, zoneName: string, mode: RotationMode): Promise<RotationState | undefined> {
  const path = rotationStatePath(context, zoneName)
  const existing = await readRotation(context, zoneName)
  if (mode === 'start' && existing) {
    const at = existing.agents.find((a) => a.step !== 'done' && a.step !== 'pending')
    throw new OperationError(
      `an unfinished rotation of zone "${zoneName}" (started ${existing.startedAt}, ${existing.status}${at ? `, stopped at ${at.hostname}: ${at.step}` : ''}) must be finished first`,
      {
        code: 'ROTATION_UNFINISHED',
        details: {stateFile: path},
        hint: `carry on with \`kasmctl agent rotate --zone ${zoneName} --resume\`, or re-enable what it disabled with \`kasmctl agent rotate --zone ${zoneName} --abort\``,
      },
    )
  }

  if (mode !== 'start' && !existing) {
    throw new UsageError(`no unfinished rotation of zone "${zoneName}" for context "${context}" (no ${path})`, {
      hint: `start one with \`kasmctl agent rotate --zone ${zoneName} --exec CMD\``,
    })
  }

  return existing
}

/**
 * Runs (or resumes) a rotation: for each batch of agents, capacity check → drain → patch command →
 * wait for a check-in newer than the patch → enable → zone healthy → next. The state file is
 * written before each step, so an interrupted run (Ctrl-C, kill -9, failed step) can be resumed
 * or aborted. A failed step throws with the agent left disabled and the next step in the hint.
 */
export async function runRotation(run: RotationRun, state: RotationState): Promise<RotationSummary> {
  const save = saver(state)
  const hosts = hostsFor(run.context, state)
  const resumed = state.agents.some((a) => a.step !== 'pending')
  state.status = 'running'
  delete state.error
  await save()
  run.onEvent({agents: state.agents.map((a) => a.hostname), batch: state.settings.batch, event: 'rotation_started', resumed, zone: state.zoneName})
  try {
    for (const batch of batches(state)) {
      await checkBatchCapacity(run, state, batch)
      const results = await Promise.allSettled(batch.map((agent) => rotateAgent(run, state, agent, hosts.get(agent.serverId), save)))
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')
      if (failed) throw failed.reason
      await waitZoneHealthy(run, state)
    }
  } catch (error) {
    if (state.agents.every((a) => a.step === 'pending')) {
      // Refused before touching any agent (capacity, API): no rotation to resume or abort.
      await rm(rotationStatePath(state.context, state.zoneName), {force: true})
      throw error
    }

    state.status = run.signal?.aborted ? 'interrupted' : 'failed'
    state.error = (error as Error).message
    await save()
    throw rotationStopped(state, error)
  }

  await rm(rotationStatePath(state.context, state.zoneName), {force: true})
  return summary(state, 'done')
}

/** Enables again every agent the rotation disabled, forgets their drains, and deletes the state file. */
export async function abortRotation(run: Pick<RotationRun, 'client' | 'onEvent'>, state: RotationState): Promise<RotationSummary> {
  const fleet = await loadFleet(run.client)
  for (const agent of state.agents.filter((a) => a.disabledByRotation && a.step !== 'done')) {
    const server = fleet.servers.find((s) => sameId(s.server_id, agent.serverId))
    if (server) await enableAgent(run.client, server, state.context)
    else await removeDisableRecord(state.context, agent.serverId)
    agent.disabledByRotation = false
    run.onEvent({agent: agent.hostname, event: 'enabled'})
  }

  await rm(rotationStatePath(state.context, state.zoneName), {force: true})
  return summary(state, 'aborted')
}

async function rotateAgent(run: RotationRun, state: RotationState, agent: RotationAgent, host: HostEntry | undefined, save: () => Promise<void>): Promise<void> {
  const {client, onEvent} = run
  const {settings} = state
  if (agent.step === 'pending' || agent.step === 'draining') {
    agent.step = 'draining'
    await save()
    const server = await client.getServer(agent.serverId)
    const {alreadyDisabled, record} = await startDrain(client, server, {
      by: 'rotate',
      context: state.context,
      deadlineMs: settings.deadlineMs,
      force: settings.force,
      reason: settings.reason ?? `kasmctl agent rotate --zone ${state.zoneName}`,
    })
    if (!alreadyDisabled) agent.disabledByRotation = true
    await save()
    onEvent(drainStartedEvent(record, alreadyDisabled))
    const outcome = await watchDrain(client, record, {onEvent, pollIntervalMs: run.pollIntervalMs, signal: run.signal})
    if (outcome.status !== 'drained') {
      throw new OperationError(`drain of ${agent.hostname} ${outcome.status === 'timed-out' ? 'reached its deadline' : outcome.status}: ${outcome.sessions_left.length} session(s) left`)
    }

    agent.step = 'patching'
    await save()
  }

  if (agent.step === 'patching') {
    const started = Date.now()
    agent.patch = {startedAt: new Date(started).toISOString()}
    await save()
    const vars = {agent_id: agent.serverId, host: agent.hostname}
    const patch: PatchCommand = {command: settings.exec, host, shell: settings.shell}
    onEvent({agent: agent.hostname, argv: patchArgv(patch, vars), event: 'patch_started', ssh: Boolean(host)})
    const result = await runPatch(patch, vars, {onLine: (line) => onEvent({agent: agent.hostname, event: 'patch_output', line}), signal: run.signal})
    agent.patch = {...agent.patch, endedAt: new Date().toISOString(), exitCode: result.exitCode}
    onEvent({agent: agent.hostname, duration_ms: Date.now() - started, event: 'patch_finished', exit_code: result.exitCode})
    if (run.signal?.aborted) throw new OperationError(`patch command on ${agent.hostname} interrupted`)
    if (result.exitCode !== 0) {
      await save()
      throw new OperationError(`patch command on ${agent.hostname} exited with ${result.exitCode}${result.tail.length > 0 ? `:\n  ${result.tail.slice(-5).join('\n  ')}` : ''}`)
    }

    agent.checkinBaseline = (await client.getServer(agent.serverId)).last_reported ?? null
    agent.step = 'checking_in'
    await save()
  }

  if (agent.step === 'checking_in') {
    await waitCheckIn(run, settings.checkinTimeoutMs, agent)
    agent.step = 'enabling'
    await save()
  }

  if (agent.step === 'enabling') {
    const server = await client.getServer(agent.serverId)
    if (agent.wasEnabled) {
      await enableAgent(client, server, state.context)
      onEvent({agent: agent.hostname, event: 'enabled'})
    }

    agent.disabledByRotation = false
    agent.step = 'done'
    await save()
    onEvent({agent: agent.hostname, enabled: agent.wasEnabled, event: 'agent_done'})
  }
}

/** Waits for a check-in newer than the baseline read after the patch, with status running. */
async function waitCheckIn(run: RotationRun, timeoutMs: number, agent: RotationAgent): Promise<void> {
  const since = parseKasmDate(agent.checkinBaseline)?.getTime() ?? Number.NEGATIVE_INFINITY
  run.onEvent({agent: agent.hostname, event: 'checkin_waiting', since: agent.checkinBaseline ?? null, timeout_ms: timeoutMs})
  const result = await pollUntil({
    deadlineAt: Date.now() + timeoutMs,
    done: (server: Server) => (parseKasmDate(server.last_reported)?.getTime() ?? Number.NEGATIVE_INFINITY) > since && server.operational_status === 'running',
    intervalMs: run.pollIntervalMs,
    onFailure: (f) => run.onEvent({agent: agent.hostname, code: f.code, error: f.error, event: 'poll_failed', failures: f.failures, retry_in_ms: f.retryInMs}),
    read: () => run.client.getServer(agent.serverId),
    signal: run.signal,
  })
  if (result.status === 'interrupted') throw new OperationError(`interrupted while waiting for ${agent.hostname} to check in`)
  if (result.status !== 'done') {
    const last = result.value
    throw new OperationError(
      `${agent.hostname} did not check in within ${Math.round(timeoutMs / 1000)}s after the patch (last check-in ${last?.last_reported ?? 'unknown'}, status ${last?.operational_status ?? 'unknown'})`,
    )
  }

  run.onEvent({agent: agent.hostname, event: 'checked_in', last_reported: parseKasmDate(result.value.last_reported)?.toISOString() ?? ''})
}

/** Before the next batch: every agent that should take sessions does (enabled and running). */
async function waitZoneHealthy(run: RotationRun, state: RotationState): Promise<void> {
  const expected = state.agents.filter((a) => a.wasEnabled && (a.step === 'done' || a.step === 'pending'))
  const unhealthy = (servers: Server[]) => expected.filter((a) => !servers.some((s) => sameId(s.server_id, a.serverId) && isAvailable(s)))
  const result = await pollUntil({
    deadlineAt: Date.now() + state.settings.checkinTimeoutMs,
    done: (servers: Server[]) => unhealthy(servers).length === 0,
    intervalMs: run.pollIntervalMs,
    onFailure: (f) => run.onEvent({agent: state.zoneName, code: f.code, error: f.error, event: 'poll_failed', failures: f.failures, retry_in_ms: f.retryInMs}),
    read: () => run.client.getServers(),
    signal: run.signal,
  })
  if (result.status === 'done') {
    run.onEvent({event: 'zone_healthy', zone: state.zoneName})
    return
  }

  if (result.status === 'interrupted') throw new OperationError('interrupted while checking the zone')
  const names = unhealthy(result.value ?? []).map((a) => a.hostname)
  throw new OperationError(`zone "${state.zoneName}" is not healthy: ${listValues(names)} not enabled and running`)
}

async function checkBatchCapacity(run: RotationRun, state: RotationState, batch: RotationAgent[]): Promise<void> {
  // Agents already out of service (resumed mid-step) were checked when they were taken out.
  const taking = batch.filter((a) => a.step === 'pending')
  if (taking.length === 0) return
  const fleet = await loadFleet(run.client, {zones: true})
  const check = checkCapacity(fleet, state.zoneId, batch.map((a) => a.serverId), parseHeadroom(state.settings.headroom))
  run.onEvent({agents: batch.map((a) => a.hostname), event: 'capacity', ignored: !check.ok && state.settings.ignoreCapacity, message: check.message, ok: check.ok})
  if (!state.settings.ignoreCapacity) assertCapacity(check)
}

/** Agents still to do, in batches: those caught mid-step first (they are already out of service). */
function batches(state: RotationState): RotationAgent[][] {
  const inProgress = state.agents.filter((a) => a.step !== 'pending' && a.step !== 'done')
  const pending = state.agents.filter((a) => a.step === 'pending')
  const out: RotationAgent[][] = []
  if (inProgress.length > 0) out.push(inProgress)
  for (let i = 0; i < pending.length; i += state.settings.batch) out.push(pending.slice(i, i + state.settings.batch))
  return out
}

/** With --ssh, every agent must be in the context's host inventory; checked before anything changes. */
function hostsFor(context: ContextConfig, state: RotationState): Map<string, HostEntry | undefined> {
  const hosts = new Map<string, HostEntry | undefined>()
  const missing: string[] = []
  for (const agent of state.agents) {
    const host = state.settings.ssh ? (context.hosts ?? []).find((h) => h.name === agent.hostname || h.address === agent.hostname) : undefined
    if (state.settings.ssh && !host) missing.push(agent.hostname)
    hosts.set(agent.serverId, host)
  }

  if (missing.length > 0) {
    throw new UsageError(`--ssh needs every agent in the host inventory of context "${context.name}"; missing: ${listValues(missing)}`, {
      hint: 'add them to the context\'s hosts (name = the agent hostname, roles: [agent], ssh: user@host), or run the patch locally without --ssh',
    })
  }

  return hosts
}

function rotationStopped(state: RotationState, error: unknown): OperationError {
  const at = state.agents.find((a) => a.step !== 'done' && a.step !== 'pending')
  const where = at ? ` at ${at.hostname} (step ${at.step}${at.disabledByRotation ? ', left disabled' : ''})` : ''
  const zone = state.zoneName
  return new OperationError(`rotation of zone "${zone}" ${state.status === 'interrupted' ? 'interrupted' : 'stopped'}${where}: ${(error as Error).message}`, {
    cause: error,
    code: (error as {code?: string}).code === 'CAPACITY' ? 'CAPACITY' : 'ROTATION_STOPPED',
    details: {agent: at?.hostname, step: at?.step, ...((error as {details?: object}).details ?? {})},
    hint: `fix the cause, then \`kasmctl agent rotate --zone ${zone} --resume\` carries on${at ? ` (${at.step === 'patching' ? 're-running the patch command' : `from ${at.step}`} on ${at.hostname})` : ''}, or \`kasmctl agent rotate --zone ${zone} --abort\` re-enables what the rotation disabled`,
  })
}

function summary(state: RotationState, status: RotationSummary['status']): RotationSummary {
  return {
    agents: state.agents.map((a) => ({hostname: a.hostname, server_id: a.serverId, step: a.step, was_enabled: a.wasEnabled})),
    status,
    zone_name: state.zoneName,
  }
}

/** Serialises state writes: each write snapshots the state when it runs, in call order. */
function saver(state: RotationState): () => Promise<void> {
  let chain = Promise.resolve()
  const path = rotationStatePath(state.context, state.zoneName)
  return () => {
    chain = chain.then(() => {
      state.updatedAt = new Date().toISOString()
      return writeFileAtomic(path, `${JSON.stringify(state, null, 2)}\n`)
    })
    return chain
  }
}
