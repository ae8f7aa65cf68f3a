/**
 * The AutoScale rules of `zone lint` (and so of `health --all`'s zone role): configurations the
 * AutoScale and HA guides warn about, judged on what `autoscale status` computes.
 */
import type {RawAutoscaleConfig} from '../kasm/types.js'
import {settingsOfConfig} from './fields.js'
import type {AutoscaleStatusReport, ConfigStatus} from './status.js'

export type AutoscaleLintRule = 'autoscale-backoff-thrash' | 'autoscale-checkin-stuck' | 'autoscale-min-unreachable' | 'autoscale-orphan' | 'autoscale-users-above-sessions'

export const AUTOSCALE_LINT_REASONS: Record<AutoscaleLintRule, string> = {
  'autoscale-backoff-thrash':
    'AutoScale guide: Downscale Backoff prevents the system from downscaling for this amount of time; it is useful for preventing the system from thrashing up and down if the available resources hover around an interval that would typically trigger autoscaling.',
  'autoscale-checkin-stuck':
    'AutoScale guide: with Require Checkin the system waits to receive a callback from the newly created server (the Kasm Desktop Service, or a call to the set_server_status API) to set its status to Running; High Availability guide: new Agent virtual machines must be able to reach the Web App API to register.',
  'autoscale-min-unreachable':
    'AutoScale guide: if the total from all servers is less than the Minimum Available Sessions, new servers are created until it reaches the desired capacity; the VM Provider\'s max instances bounds how many can be created, so a minimum above that capacity is never reached.',
  'autoscale-orphan':
    'AutoScale guide: an AutoScale config is attached to a Pool and applies to a Deployment Zone; without them the system has nowhere to create servers.',
  'autoscale-users-above-sessions':
    'AutoScale guide: Max Simultaneous Sessions Per Server and Max Simultaneous Users work together (e.g. 2 concurrent users with up to 10 sessions each); Kasm uses the lower of the sessions and new users a server can handle, so users above sessions can never all connect.',
}

export interface AutoscaleFinding {
  severity: 'error' | 'warning'
  zone: string
  rule: AutoscaleLintRule
  message: string
}

/** Findings for the enabled configs of a status report (a disabled config scales nothing). */
export function evaluateAutoscaleLint(report: AutoscaleStatusReport, configs: readonly RawAutoscaleConfig[]): AutoscaleFinding[] {
  const findings: AutoscaleFinding[] = []
  for (const status of report.configs.filter((c) => c.enabled)) {
    const config = configs.find((c) => c.autoscale_config_id === status.autoscale_config_id)
    if (config) findings.push(...configFindings(status, config))
  }

  return findings
}

function configFindings(status: ConfigStatus, config: RawAutoscaleConfig): AutoscaleFinding[] {
  const findings: AutoscaleFinding[] = []
  const name = status.autoscale_config_name
  const add = (severity: AutoscaleFinding['severity'], rule: AutoscaleLintRule, message: string) =>
    findings.push({message: `${name}: ${message}`, rule, severity, zone: status.zone_name ?? config.zone_id})

  if (!status.zone_name) add('error', 'autoscale-orphan', `enabled, but its zone ${config.zone_id} no longer exists`)
  if (!status.server_pool_name) add('error', 'autoscale-orphan', `enabled, but its server pool ${config.server_pool_id ?? '(none)'} no longer exists`)
  if (status.stuck.length > 0) {
    const servers = status.stuck.map((s) => `${s.hostname} (${Math.round(s.starting_seconds / 60)} min)`).join(', ')
    add('error', 'autoscale-checkin-stuck', `require_checkin is on and ${servers} never left starting: ${status.stuck[0].cause}`)
  }

  const settings = settingsOfConfig(config)
  const pool = status.server_pool
  if (!pool) return findings
  const perServer = pool.max_sessions_per_server
  const maxUsers = settings.max_simultaneous_users === null || settings.max_simultaneous_users === undefined ? null : Number(settings.max_simultaneous_users)
  if (maxUsers !== null && maxUsers > perServer) {
    add('warning', 'autoscale-users-above-sessions', `max_simultaneous_users ${maxUsers} is above max_simultaneous_sessions_per_server ${perServer}: a server never takes more than ${perServer} session(s)`)
  }

  const maxInstances = config.vm_provider_config?.max_instances
  if (maxInstances !== undefined) {
    const perNewServer = Math.min(perServer, maxUsers ?? perServer)
    const fixed = pool.servers.filter((s) => !s.autoscaled).reduce((sum, s) => sum + Math.min(s.max_sessions, s.max_users ?? s.max_sessions), 0)
    const reachable = fixed + maxInstances * perNewServer
    if (pool.minimum_available_sessions > reachable) {
      add('error', 'autoscale-min-unreachable', `Minimum Available Sessions ${pool.minimum_available_sessions} is more than the pool can ever offer: ${reachable} (${fixed} on its own servers + max_instances ${maxInstances} × ${perNewServer})`)
    }
  }

  const distance = Math.abs(pool.available_sessions + pool.pending_sessions - pool.minimum_available_sessions)
  if (settings.downscale_backoff === 0 && pool.minimum_available_sessions > 0 && distance < perServer) {
    add('warning', 'autoscale-backoff-thrash', `downscale_backoff is 0 and the pool's ${pool.available_sessions + pool.pending_sessions} available session(s) are within one server (${perServer}) of the minimum ${pool.minimum_available_sessions}: each session that starts or ends adds or deletes a server`)
  }

  return findings
}
