import type {HostEntry} from '../config/types.js'
import {isRemoteHost} from '../remote/index.js'
import type {HostState, Journal, JournalHost} from './journal.js'
import type {HostPlan, ZoneNamePlan} from './zone-name-plan.js'

/** `kasmctl host zone-name --json` (docs/json.md). */
export interface ZoneNameResult {
  /** change: a new run (or --dry-run) · resume · rollback */
  operation: 'change' | 'resume' | 'rollback'
  dry_run: boolean
  zone: string
  /** null when the zone does not exist yet (--create-zone) */
  zone_id: null | string
  create_zone: boolean
  /** planned (--dry-run) · done: every host verified in the zone · rolled-back: every host put back */
  status: 'done' | 'planned' | 'rolled-back'
  /** The journal kept for the record (null for --dry-run and when nothing changed). */
  journal: null | string
  /** When the run began (null before it has). */
  started_at: null | string
  hosts: ZoneNameHostResult[]
}

export interface ZoneNameHostResult {
  name: string
  access: 'local' | 'ssh'
  kasm_root: string
  /** planned · unchanged (already in the zone) · pending · done · rolled-back · failed · running (interrupted) */
  status: 'planned' | 'unchanged' | HostState
  /** The step under way when the run stopped (status running: interrupted), else null. */
  step: null | string
  files: Array<{path: string; key: string; from: string; to: string; backup: null | string; diff?: string}>
  /** Zone files the host's roles call for that do not exist there: skipped. */
  missing_files: Array<{path: string; key: string}>
  services_may_be_stopped: boolean
  error: null | string
}

function base(host: HostEntry, kasmRoot: string): Pick<ZoneNameHostResult, 'access' | 'kasm_root' | 'name'> {
  return {access: isRemoteHost(host) ? 'ssh' : 'local', kasm_root: kasmRoot, name: host.name}
}

export function planResult(plan: ZoneNamePlan, options: {createZone: boolean; dryRun: boolean}): ZoneNameResult {
  return {
    create_zone: options.createZone,
    dry_run: options.dryRun,
    hosts: plan.hosts.map((host) => hostPlanResult(host, host.files.length > 0 ? 'planned' : 'unchanged')),
    journal: null,
    operation: 'change',
    started_at: null,
    status: options.dryRun ? 'planned' : 'done',
    zone: plan.zone,
    zone_id: plan.zoneId,
  }
}

function hostPlanResult(host: HostPlan, status: ZoneNameHostResult['status']): ZoneNameHostResult {
  return {
    ...base(host.host, host.kasmRoot),
    error: null,
    files: host.files.map((file) => ({backup: null, diff: file.diff, from: file.from, key: file.key, path: file.path, to: file.to})),
    missing_files: host.missingFiles,
    services_may_be_stopped: false,
    status,
    step: null,
  }
}

/**
 * The result of a run from its journal; hosts of the plan that had nothing to change are listed as
 * unchanged. `journalPath` is where the finished journal was archived.
 */
export function journalResult(
  journal: Journal,
  options: {operation: ZoneNameResult['operation']; status: ZoneNameResult['status']; journalPath: string; plan?: ZoneNamePlan},
): ZoneNameResult {
  const {data} = journal
  const planned = new Map(options.plan?.hosts.map((host) => [host.host.name, host]))
  const fromJournal = data.hosts.map((host) => journalHostResult(host, planned.get(host.host.name)))
  const unchanged = (options.plan?.hosts ?? []).filter((host) => host.files.length === 0).map((host) => hostPlanResult(host, 'unchanged'))
  return {
    create_zone: data.createZone,
    dry_run: false,
    hosts: [...fromJournal, ...unchanged],
    journal: options.journalPath,
    operation: options.operation,
    started_at: data.startedAt,
    status: options.status,
    zone: data.zone,
    zone_id: options.plan?.zoneId ?? null,
  }
}

export function journalHostResult(host: JournalHost, plan?: HostPlan): ZoneNameHostResult {
  return {
    ...base(host.host, host.kasmRoot),
    error: host.error,
    files: host.files.map((file) => ({backup: host.stepsDone.includes('backup') ? file.backup : null, from: file.from, key: file.key, path: file.path, to: file.to})),
    missing_files: plan?.missingFiles ?? [],
    services_may_be_stopped: host.servicesMayBeStopped,
    status: host.state,
    step: host.rollbackInFlight ? `rollback ${host.rollbackInFlight}` : host.inFlight,
  }
}
