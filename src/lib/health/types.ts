/**
 * The health report: one check per (role, target, aspect), graded like a monitoring plugin.
 * The JSON document is a contract (docs/json.md "health").
 */
import type {DetectedVersion} from '../kasm/version.js'

export type HealthStatus = 'CRITICAL' | 'OK' | 'UNKNOWN' | 'WARNING'

/** Monitoring-plugin exit codes (Nagios): the same in every output mode. */
export const STATUS_EXIT_CODE: Record<HealthStatus, number> = {CRITICAL: 2, OK: 0, UNKNOWN: 3, WARNING: 1}

export const HEALTH_ROLES = ['api', 'webapp', 'proxy', 'agent', 'manager', 'connection-proxy', 'db', 'backup', 'zone'] as const
export type HealthRole = (typeof HEALTH_ROLES)[number]
/**
 * The roles whose checks read get_zones {brief: true}, which bin/run.js asks early for health
 * (src/lib/kasm/early-read.ts; test/lib/kasm/early-read.test.ts runs each role to keep this true).
 * `--role zone` alone reads the whole zones, another request.
 */
export const HEALTH_ROLES_READING_ZONES: readonly HealthRole[] = ['api', 'proxy', 'agent', 'manager', 'connection-proxy']
/** What `kasmctl health` checks without --all / --role. */
export const DEFAULT_ROLES: readonly HealthRole[] = ['api', 'webapp']

/** Per-target timeout and targets checked at once (performance-notes.md §3: C=50 keeps 200 targets near the slowest). */
export const DEFAULT_TIMEOUT_MS = 5000
export const DEFAULT_CONCURRENCY = 50

export type HealthUnit = '%' | 'B' | 'count' | 'd' | 'ms' | 's'

/** Warning / critical limits in the check's unit; `below` means low values are bad (days to expiry). */
export interface HealthThreshold {
  warning: null | number
  critical: null | number
  direction: 'above' | 'below'
}

export interface HealthCheck {
  role: HealthRole
  /** Host, URL, zone or file the check is about. */
  target: string
  /** The aspect checked: healthcheck, certificate, websocket, checkin, ha-minimum... */
  check: string
  status: HealthStatus
  value: null | number | string
  unit: HealthUnit | null
  threshold: HealthThreshold | null
  /** Short reason, for people. */
  message: string
  durationMs: number
}

export interface HealthSummary {
  checks: number
  ok: number
  warning: number
  critical: number
  unknown: number
}

export interface HealthReport {
  status: HealthStatus
  /** Exit code of the run: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN. */
  exitCode: number
  context: string
  checkedAt: string
  durationMs: number
  summary: HealthSummary
  checks: HealthCheck[]
  /** The reverse-proxy guide's conclusions for what failed, most important first. */
  diagnosis: string[]
  /** The Kasm release, when the run read the API or the database (src/lib/kasm/version.ts); null otherwise. */
  kasmVersion: DetectedVersion | null
}

/** All thresholds, in the units the checks use (ms, s, days, %). Defaults from the issue and the Kasm guides. */
export interface HealthThresholds {
  latencyMs: {warning: number; critical: number}
  checkinSeconds: {warning: number; critical: number}
  certDays: {warning: number; critical: number}
  backupAgeSeconds: {warning: number; critical: number}
  /** Reverse-proxy idle timeouts below this disconnect idle RDP sessions (Kasm's own nginx uses 3600 s). */
  proxyIdleSeconds: number
  /** Dead tuples in `logs` above this share warn: bloat is maintenance to schedule (`db vacuum`), never an outage. */
  deadTupleWarningPercent: number
  connectionsPercent: {warning: number; critical: number}
}

export const DEFAULT_THRESHOLDS: HealthThresholds = {
  backupAgeSeconds: {critical: 50 * 3600, warning: 26 * 3600},
  certDays: {critical: 7, warning: 21},
  checkinSeconds: {critical: 300, warning: 90},
  connectionsPercent: {critical: 95, warning: 80},
  deadTupleWarningPercent: 20,
  latencyMs: {critical: 3000, warning: 1000},
  proxyIdleSeconds: 3600,
}
