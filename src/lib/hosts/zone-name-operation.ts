import type {ContextConfig} from '../config/types.js'
import type {KasmClient} from '../kasm/client.js'
import {type HostSelection, selectHosts} from './inventory.js'
import type {Progress} from './progress.js'
import {interruptedMessage, openOperation, runForward, runRollback, startJournal} from './zone-name.js'
import {planZoneName, type ZoneNamePlan} from './zone-name-plan.js'
import {journalResult, planResult, type ZoneNameResult} from './zone-name-result.js'

export interface ZoneNameRequest {
  mode: 'change' | 'resume' | 'rollback'
  context: ContextConfig
  client: KasmClient
  /** ZONE (change only). */
  zone?: string
  selection: HostSelection
  createZone: boolean
  kasmRoot?: string
  timeoutMs: number
  dryRun: boolean
  /** Shows the plan (diffs) or the unfinished run before the confirmation. */
  show: (pending: ZoneNameResult) => void
  /** Asks the operator; typed = the text to type (the zone), else yes/no. Throws when refused. */
  confirm: (question: string, typed?: string) => Promise<void>
  /** The progress display for these hosts, in the order the run takes them. */
  progress: (hosts: string[]) => Promise<Progress>
  onWarning: (message: string) => void
}

/**
 * `host zone-name` from start to end: take the lock, read the journal, plan (or pick up the
 * journal), show, confirm, run host by host, archive the journal. Ctrl-C / SIGTERM print every
 * host's state and the way on before exiting 130.
 */
export async function zoneNameOperation(request: ZoneNameRequest): Promise<ZoneNameResult> {
  const {mode} = request
  const operation = await openOperation(request.context.name, mode, request.onWarning)
  try {
    let plan: undefined | ZoneNamePlan
    if (mode === 'change') {
      const hosts = selectHosts(request.context, request.selection, {zoneHostsOnly: true})
      plan = await planZoneName(request.client, {createZone: request.createZone, hosts, kasmRoot: request.kasmRoot, zone: request.zone!})
      const planned = planResult(plan, {createZone: request.createZone, dryRun: true})
      const changing = planned.hosts.filter((host) => host.status === 'planned')
      if (request.dryRun) return planned
      if (changing.length === 0) return planResult(plan, {createZone: request.createZone, dryRun: false})
      request.show({...planned, dry_run: false})
      await request.confirm(`Move ${changing.map((host) => host.name).join(', ')} to zone "${plan.zone}", stopping and starting Kasm on each in turn?`, plan.zone)
      await startJournal(operation, plan, {context: request.context.name, createZone: request.createZone, timeoutMs: request.timeoutMs})
    } else {
      const pending = journalResult(operation.journal!, {journalPath: operation.path, operation: mode, status: 'planned'})
      if (request.dryRun) return pending
      request.show(pending)
      await request.confirm(mode === 'resume' ? `Carry on moving these hosts to zone "${pending.zone}"?` : 'Put every edited host back in its old zone, stopping and starting Kasm on each?')
    }

    const journal = operation.journal!
    const names = journal.data.hosts.map((host) => host.host.name)
    const progress = await request.progress(mode === 'rollback' ? names.reverse() : names)
    const onInterrupt = () => {
      process.stderr.write(`\n${interruptedMessage(journal)}\n`)
      process.exit(130)
    }

    process.once('SIGINT', onInterrupt).once('SIGTERM', onInterrupt)
    const options = {client: request.client, onEvent: progress.onEvent}
    try {
      await (mode === 'rollback' ? runRollback(journal, options) : runForward(journal, options))
    } finally {
      process.off('SIGINT', onInterrupt).off('SIGTERM', onInterrupt)
      await progress.end()
    }

    const status = mode === 'rollback' ? 'rolled-back' : 'done'
    const archived = await journal.archive(status)
    const result = journalResult(journal, {journalPath: archived, operation: mode, plan, status})
    // A zone Kasm registered during the run (--create-zone), or one a resumed run does not know the id of.
    result.zone_id ??= (await request.client.getZones()).find((zone) => zone.zone_name === result.zone)?.zone_id ?? null
    return result
  } finally {
    await operation.lock.release()
  }
}
