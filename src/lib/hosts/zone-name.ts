import {mkdir} from 'node:fs/promises'
import {join} from 'node:path'

import {dataDir} from '../config/paths.js'
import {LockedError, OperationError, UsageError} from '../errors.js'
import type {KasmClient} from '../kasm/client.js'
import {acquireLock, type Lock} from '../lock.js'
import {copyHostFile, describeHost, readHostFile, runOnHostChecked, statHostFile, writeHostFile} from '../remote/index.js'
import {
  createJournal,
  describeHostStates,
  HOST_STEPS,
  type HostStep,
  type Journal,
  type JournalHost,
  journalPath,
  readJournal,
  type RollbackStep,
  type ZoneNameJournal,
} from './journal.js'
import {scriptPath} from './layout.js'
import {verifyWebapp} from './verify.js'
import {readYamlScalar, setYamlScalar} from './yaml-edit.js'
import {journalHostResult} from './zone-name-result.js'
import type {ZoneNamePlan} from './zone-name-plan.js'

/** bin/stop and bin/start run docker compose: generous, but never forever. */
const SCRIPT_TIMEOUT_MS = 10 * 60_000

/** Progress of a run, one event per host and step (rendered by listr2 or as plain lines); step `host` ends a host. */
export interface ZoneNameEvent {
  host: string
  phase: 'change' | 'rollback'
  step: 'host' | HostStep | RollbackStep
  state: 'done' | 'failed' | 'skipped' | 'started' | 'waiting'
  message?: string
}

export interface RunOptions {
  client: KasmClient
  onEvent?: (event: ZoneNameEvent) => void
  /** Between verification probes; default 1s. */
  pollMs?: number
}

/** The journal of this context's run, whatever its state, and the lock that keeps runs apart. */
export interface Operation {
  path: string
  lock: Lock
  journal?: Journal
}

/**
 * Takes the context's operation lock (a live run elsewhere: LockedError) and reads its journal.
 * An unfinished journal means a run was interrupted or failed: only --resume or --rollback may go on.
 */
export async function openOperation(context: string, mode: 'change' | 'resume' | 'rollback', onWarning?: (message: string) => void): Promise<Operation> {
  const path = journalPath(context)
  await mkdir(join(dataDir(), 'operations'), {mode: 0o700, recursive: true})
  const lock = await acquireLock(path.replace(/\.json$/, '.lock'), {onWarning, purpose: `host zone-name (${mode})`})
  try {
    const journal = await readJournal(path)
    if (journal && mode === 'change') throw unfinished(journal)
    if (!journal && mode !== 'change') {
      throw new UsageError(`there is no unfinished \`host zone-name\` run to ${mode} in context "${context}"`, {hint: "start one with `kasmctl host zone-name ZONE --all`"})
    }

    return {journal, lock, path}
  } catch (error) {
    await lock.release()
    throw error
  }
}

function unfinished(journal: Journal): LockedError {
  const {data} = journal
  const what = data.state === 'failed' ? 'failed' : data.state === 'rolling-back' ? 'was interrupted while rolling back' : 'was interrupted'
  return new LockedError(`the \`host zone-name ${data.zone}\` run started ${data.startedAt} ${what}: ${describeHostStates(data)}`, {
    details: {journal: journal.path, state: data.state, zone: data.zone},
    hint: 'run `kasmctl host zone-name --resume` to carry on, or `kasmctl host zone-name --rollback` to put every edited host back',
  })
}

/** The journal a new run starts from: every host that has something to change, in plan order. */
export async function startJournal(operation: Operation, plan: ZoneNamePlan, options: {context: string; createZone: boolean; timeoutMs: number}): Promise<Journal> {
  const startedAt = new Date().toISOString()
  const stamp = startedAt.replaceAll(/[-:]/g, '').replace(/\.\d+/, '')
  const hosts: JournalHost[] = plan.hosts
    .filter((hostPlan) => hostPlan.files.length > 0)
    .map((hostPlan) => ({
      error: null,
      files: hostPlan.files.map((file) => ({backup: `${file.path}.kasmctl-${stamp}.bak`, from: file.from, key: file.key, keyPath: file.keyPath, path: file.path, to: file.to})),
      host: hostPlan.host,
      inFlight: null,
      kasmRoot: hostPlan.kasmRoot,
      manager: hostPlan.manager,
      rollbackInFlight: null,
      servicesMayBeStopped: false,
      state: 'pending',
      stepsDone: [],
    }))
  operation.journal = await createJournal(operation.path, {
    context: options.context,
    createZone: options.createZone,
    hosts,
    startedAt,
    state: 'running',
    timeoutMs: options.timeoutMs,
    zone: plan.zone,
  })
  return operation.journal
}

/**
 * Changes the hosts one at a time (so the zone keeps serving): backup, stop, edit, start, verify,
 * picking up where the journal says a host stopped. On a failure the host is put back (its files
 * restored, its services started) and an OperationError says what state everything is in.
 */
export async function runForward(journal: Journal, options: RunOptions): Promise<void> {
  journal.data.state = 'running'
  await journal.save()
  for (const host of journal.data.hosts) {
    if (host.state === 'done') {
      options.onEvent?.({host: host.host.name, message: `already in zone "${journal.data.zone}"`, phase: 'change', state: 'skipped', step: 'host'})
      continue
    }

    try {
      await forwardHost(journal, host, options)
      options.onEvent?.({host: host.host.name, message: `in zone "${journal.data.zone}"`, phase: 'change', state: 'done', step: 'host'})
    } catch (error) {
      await failHost(journal, host, error as Error, options)
    }
  }
}

async function forwardHost(journal: Journal, host: JournalHost, options: RunOptions): Promise<void> {
  const name = host.host.name
  if (host.state === 'rolled-back' || host.state === 'failed') host.stepsDone = host.stepsDone.filter((step) => step === 'backup')
  host.state = 'running'
  host.error = null
  for (const step of HOST_STEPS) {
    if (host.stepsDone.includes(step)) {
      options.onEvent?.({host: name, phase: 'change', state: 'skipped', step})
      continue
    }

    host.inFlight = step
    if (step === 'stop') host.servicesMayBeStopped = true
    await journal.save()
    await debugPause(name, step)
    options.onEvent?.({host: name, phase: 'change', state: 'started', step})
    const message = await forwardStep(journal.data, host, step, options)
    host.stepsDone.push(step)
    host.inFlight = null
    if (step === 'start') host.servicesMayBeStopped = false
    await journal.save()
    options.onEvent?.({host: name, message, phase: 'change', state: 'done', step})
  }

  host.state = 'done'
  await journal.save()
}

async function forwardStep(data: ZoneNameJournal, host: JournalHost, step: HostStep, options: RunOptions): Promise<string | undefined> {
  const entry = host.host
  switch (step) {
    case 'backup': {
      return backupFiles(host)
    }

    case 'stop':
    case 'start': {
      await runOnHostChecked(entry, [scriptPath(host.kasmRoot, step)], {sudo: true, timeoutMs: SCRIPT_TIMEOUT_MS})
      return undefined
    }

    case 'edit': {
      return setZone(host, 'to')
    }

    case 'verify': {
      return verifyHost(host, data.zone, data.timeoutMs, options)
    }
  }
}

async function backupFiles(host: JournalHost): Promise<string> {
  for (const file of host.files) {
    // The copy is atomic: if it exists, it is whole (a run killed during backup left it or nothing).
    if (await statHostFile(host.host, file.backup)) continue
    const current = await readZoneOf(host, file)
    if (current !== file.from) throw conflict(host, file, current)
    await copyHostFile(host.host, file.path, file.backup)
  }

  return host.files.map((file) => file.backup).join(', ')
}

/** Sets every file's value to its `to` (change) or `from` (rollback without a backup); idempotent. */
async function setZone(host: JournalHost, target: 'from' | 'to'): Promise<string> {
  const changed: string[] = []
  for (const file of host.files) {
    const content = await readHostFile(host.host, file.path)
    if (content === undefined) throw new OperationError(`${file.path} disappeared from host ${describeHost(host.host)}`)
    const value = readYamlScalar(content, file.keyPath)
    if (value === file[target]) continue
    if (value !== file.from && value !== file.to) throw conflict(host, file, value)
    await writeHostFile(host.host, file.path, setYamlScalar(content, file.keyPath, file[target]))
    changed.push(`${file.key}: ${file[target]}`)
  }

  return changed.length > 0 ? changed.join(', ') : 'already set'
}

async function readZoneOf(host: JournalHost, file: JournalHost['files'][number]): Promise<string | undefined> {
  const content = await readHostFile(host.host, file.path)
  return content === undefined ? undefined : readYamlScalar(content, file.keyPath)
}

function conflict(host: JournalHost, file: JournalHost['files'][number], value: string | undefined): OperationError {
  return new OperationError(
    `${file.path} on host ${describeHost(host.host)} changed behind kasmctl's back: ${file.key} is ${value === undefined ? 'missing' : `"${value}"`}, expected "${file.from}" or "${file.to}"`,
    {hint: 'check who else edits the file, then run `kasmctl host zone-name --rollback`, or fix the file by hand'},
  )
}

async function verifyHost(host: JournalHost, zone: string, timeoutMs: number, options: RunOptions): Promise<string> {
  if (!host.host.roles.includes('webapp')) return 'services started'
  const verified = await verifyWebapp(options.client, host.host, host.manager, zone, {
    onWait: (what) => options.onEvent?.({host: host.host.name, message: `waiting for ${what}`, phase: 'change', state: 'waiting', step: 'verify'}),
    pollMs: options.pollMs,
    timeoutMs,
  })
  return `healthy; manager ${verified.manager_id} in zone "${zone}"`
}

/** A step failed: put the host back, record what happened, and raise an error that says it all. */
async function failHost(journal: Journal, host: JournalHost, error: Error, options: RunOptions): Promise<never> {
  const name = host.host.name
  const step = host.inFlight ?? 'backup'
  options.onEvent?.({host: name, message: error.message, phase: 'change', state: 'failed', step})
  host.error = `${step}: ${error.message}`
  journal.data.state = 'failed'
  await journal.save()
  let rolledBack = ''
  let restored = false
  try {
    await rollbackHost(journal, host, options)
    restored = true
    rolledBack = `; it was rolled back: ${host.files.map((file) => `${file.key} "${file.from}"`).join(', ')}, services running`
  } catch (rollbackError) {
    host.state = 'failed'
    host.error = `${step}: ${error.message}; the rollback failed too: ${(rollbackError as Error).message}`
    await journal.save()
    rolledBack = `; the rollback failed too: ${(rollbackError as Error).message}`
  }

  options.onEvent?.({host: name, message: `${step} failed; ${restored ? 'rolled back' : 'the rollback failed too'}`, phase: 'change', state: 'failed', step: 'host'})

  const done = journal.data.hosts.filter((h) => h.state === 'done').map((h) => h.host.name)
  const notStarted = journal.data.hosts.filter((h) => h.state === 'pending').map((h) => h.host.name)
  const stopped = journal.data.hosts.filter((h) => h.servicesMayBeStopped)
  const summary = [
    `host ${name} failed at step ${step}: ${error.message}${rolledBack}.`,
    done.length > 0 ? `Already in zone "${journal.data.zone}": ${done.join(', ')}.` : 'No host was changed.',
    notStarted.length > 0 ? `Not started: ${notStarted.join(', ')}.` : '',
    stopped.length > 0
      ? `Kasm services may be STOPPED on ${stopped.map((h) => h.host.name).join(', ')}: once the cause is fixed, run ${stopped.map((h) => `${scriptPath(h.kasmRoot, 'start')} on ${h.host.name}`).join(', ')}.`
      : '',
  ]
  throw new OperationError(summary.filter(Boolean).join(' '), {
    cause: error,
    code: 'HOST_FAILED',
    details: {failed_host: name, hosts: journal.data.hosts.map((h) => journalHostResult(h)), journal: journal.path, step},
    hint: 'fix the cause, then `kasmctl host zone-name --resume` carries on; `kasmctl host zone-name --rollback` puts every host back',
  })
}

/** Puts every touched host back, last changed first. */
export async function runRollback(journal: Journal, options: RunOptions): Promise<void> {
  journal.data.state = 'rolling-back'
  await journal.save()
  const failures: string[] = []
  for (const host of [...journal.data.hosts].reverse()) {
    if (host.state === 'pending' || host.state === 'rolled-back') {
      options.onEvent?.({host: host.host.name, message: host.state === 'pending' ? 'never changed' : 'already rolled back', phase: 'rollback', state: 'skipped', step: 'host'})
      continue
    }

    try {
      await rollbackHost(journal, host, options)
      options.onEvent?.({host: host.host.name, message: 'rolled back', phase: 'rollback', state: 'done', step: 'host'})
    } catch (error) {
      options.onEvent?.({host: host.host.name, message: (error as Error).message, phase: 'rollback', state: 'failed', step: 'host'})
      host.state = 'failed'
      host.error = `rollback: ${(error as Error).message}`
      await journal.save()
      failures.push(`${host.host.name}: ${(error as Error).message}`)
    }
  }

  if (failures.length > 0) {
    journal.data.state = 'failed'
    await journal.save()
    throw new OperationError(`the rollback did not finish: ${failures.join('; ')}. State: ${describeHostStates(journal.data)}`, {
      code: 'ROLLBACK_FAILED',
      details: {hosts: journal.data.hosts.map((h) => journalHostResult(h)), journal: journal.path},
      hint: 'fix the cause, then run `kasmctl host zone-name --rollback` again (it is safe to repeat)',
    })
  }
}

/**
 * Puts one host back: stop, restore each file from its backup, start, verify in the old zone. A host
 * whose services were never stopped has nothing to undo (its files are only edited once stopped).
 */
async function rollbackHost(journal: Journal, host: JournalHost, options: RunOptions): Promise<void> {
  const name = host.host.name
  const touched = host.servicesMayBeStopped || host.stepsDone.includes('stop') || host.rollbackInFlight !== null
  // Neither done nor untouched from here: a run killed during the rollback resumes or rolls back this host whole.
  host.state = 'running'
  host.inFlight = null
  host.stepsDone = host.stepsDone.filter((step) => step === 'backup')
  if (touched) {
    for (const step of ['stop', 'restore', 'start', 'verify'] as const) {
      host.rollbackInFlight = step
      if (step === 'stop') host.servicesMayBeStopped = true
      await journal.save()
      await debugPause(name, `rollback-${step}`)
      options.onEvent?.({host: name, phase: 'rollback', state: 'started', step})
      const message = await rollbackStep(journal.data, host, step, options)
      if (step === 'start') host.servicesMayBeStopped = false
      options.onEvent?.({host: name, message, phase: 'rollback', state: 'done', step})
    }
  }

  host.rollbackInFlight = null
  host.state = 'rolled-back'
  await journal.save()
}

async function rollbackStep(data: ZoneNameJournal, host: JournalHost, step: RollbackStep, options: RunOptions): Promise<string | undefined> {
  switch (step) {
    case 'stop':
    case 'start': {
      await runOnHostChecked(host.host, [scriptPath(host.kasmRoot, step)], {sudo: true, timeoutMs: SCRIPT_TIMEOUT_MS})
      return undefined
    }

    case 'restore': {
      return restoreFiles(host)
    }

    case 'verify': {
      const webappFile = host.files.find((file) => file.key === 'server.zone_name')
      if (!webappFile) return 'services started'
      return verifyHost(host, webappFile.from, data.timeoutMs, options)
    }
  }
}

/** The backup, byte for byte, where there is one; otherwise the old value set back in place. */
async function restoreFiles(host: JournalHost): Promise<string> {
  const restored: string[] = []
  const withoutBackup: JournalHost['files'] = []
  for (const file of host.files) {
    const [backup, current] = await Promise.all([readHostFile(host.host, file.backup), readHostFile(host.host, file.path)])
    if (backup === undefined) {
      withoutBackup.push(file)
    } else if (current !== backup) {
      await writeHostFile(host.host, file.path, backup)
      restored.push(file.path)
    }
  }

  if (withoutBackup.length > 0) {
    const result = await setZone({...host, files: withoutBackup}, 'from')
    if (result !== 'already set') restored.push(...withoutBackup.map((file) => `${file.path} (no backup: ${file.key} set back)`))
  }

  return restored.length > 0 ? `restored ${restored.join(', ')}` : 'files already as before'
}

/**
 * Debugging aid (documented in docs/ARCHITECTURE.md): KASMCTL_DEBUG_PAUSE_AT=<host>:<step> (or
 * <host>:rollback-<step>) makes `host zone-name` stop before that step, with the journal saved and
 * the step not begun, and wait until it is interrupted: to look at the hosts and the journal mid-run,
 * or to try recovery (--resume, --rollback) after killing it there. The tests use it for the latter.
 */
async function debugPause(host: string, step: string): Promise<void> {
  if (process.env.KASMCTL_DEBUG_PAUSE_AT !== `${host}:${step}`) return
  process.stderr.write(`kasmctl: paused before ${step} on ${host} (KASMCTL_DEBUG_PAUSE_AT); Ctrl-C or kill to go on\n`)
  await new Promise(() => {
    setInterval(() => {}, 60_000)
  })
}

/** What an interrupted run (Ctrl-C, SIGTERM) prints before it exits: the state of every host and the way on. */
export function interruptedMessage(journal: Journal | undefined): string {
  if (!journal) return 'interrupted before any host was changed'
  return `interrupted: ${describeHostStates(journal.data)}. Run \`kasmctl host zone-name --resume\` to carry on, or \`kasmctl host zone-name --rollback\` to put every edited host back.`
}
