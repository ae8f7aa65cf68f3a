/** Human renderings of the pool and autoscale commands. Loaded only in table mode (cli-table3). */
import {formatDuration} from '../duration.js'
import type {HealthStatus} from '../health/types.js'
import {shortId} from '../kasm/ids.js'
import {renderDetails, renderTable} from '../output/table.js'
import {formatBytes} from '../output/units.js'
import {formatChanges} from '../zones/changes.js'
import type {AutoscaleConfigDetails, AutoscaleConfigView, AutoscaleSetResult, PoolView} from './configs.js'
import {AUTOSCALE_FIELDS, displayAutoscaleValue} from './fields.js'
import type {AutoscaleStatusReport, ConfigStatus} from './status.js'

export function renderPoolList(pools: readonly PoolView[]): string {
  if (pools.length === 0) return 'no server pools'
  return renderTable<PoolView>(
    [
      {get: (p) => p.server_pool_name, header: 'name'},
      {get: (p) => shortId(p.server_pool_id), header: 'id'},
      {get: (p) => p.server_pool_type, header: 'type'},
      {align: 'right', get: (p) => p.servers.length, header: 'servers'},
      {get: (p) => p.autoscale_configs.map((c) => `${c.autoscale_config_name}${c.enabled === false ? ' (disabled)' : ''}`).join(', ') || '-', header: 'autoscale'},
    ],
    [...pools],
  )
}

export function renderPoolDetails(pool: PoolView): string {
  return renderDetails([
    ['server_pool_name', pool.server_pool_name],
    ['server_pool_id', pool.server_pool_id],
    ['server_pool_type', pool.server_pool_type],
    ['servers', pool.servers.map((s) => s.hostname).join(', ') || '-'],
    ['autoscale_configs', pool.autoscale_configs.map((c) => `${c.autoscale_config_name}${c.enabled === false ? ' (disabled)' : ''}`).join(', ') || '-'],
  ])
}

export function renderConfigList(configs: readonly AutoscaleConfigView[]): string {
  if (configs.length === 0) return 'no autoscale configs'
  const value = (c: AutoscaleConfigView, field: string) => displayAutoscaleValue(field, c.settings[field])
  // A boolean shows as yes/no, as in every other table (a string Kasm sent is shown as it came).
  const yesNo = (c: AutoscaleConfigView, field: string) => (typeof c.settings[field] === 'boolean' ? c.settings[field] : value(c, field))
  return renderTable<AutoscaleConfigView>(
    [
      {get: (c) => c.autoscale_config_name, header: 'name'},
      {get: (c) => c.autoscale_type, header: 'type'},
      {get: (c) => c.zone_name ?? '(deleted)', header: 'zone'},
      {get: (c) => c.server_pool_name ?? '(none)', header: 'pool'},
      {get: (c) => yesNo(c, 'enabled'), header: 'enabled'},
      {
        align: 'right',
        get: (c) => (c.autoscale_type === 'Server Pool' ? value(c, 'minimum_pool_standby_sessions') : `${value(c, 'standby_cores')} cores`),
        header: 'min/standby',
      },
      {get: (c) => value(c, 'downscale_backoff'), header: 'backoff'},
      {get: (c) => yesNo(c, 'require_checkin'), header: 'checkin'},
    ],
    [...configs],
  )
}

export function renderConfigDetails(config: AutoscaleConfigDetails): string {
  const schedules = config.schedules.map((s) => `${s.days_of_the_week.join(',')} ${s.active_start_time}-${s.active_end_time} ${s.timezone}`)
  return renderDetails([
    ['autoscale_config_name', config.autoscale_config_name],
    ['autoscale_config_id', config.autoscale_config_id],
    ['autoscale_type', config.autoscale_type],
    ['zone', config.zone_name ?? `(deleted: ${config.zone_id})`],
    ['server_pool', config.server_pool_name ?? '(none)'],
    ['vm_provider', config.vm_provider ?? '-'],
    ...AUTOSCALE_FIELDS.filter((spec) => spec.field in config.settings).map(({field}): [string, unknown] => [field, displayAutoscaleValue(field, config.settings[field])]),
    ['schedules', schedules.join('; ') || '-'],
    ['kasm_fields', config.kasm_fields],
  ])
}

/** What will be sent, shown before the confirmation question. */
export function renderPendingChanges(result: AutoscaleSetResult): string {
  return `autoscale config ${result.autoscale_config_name} will change (the whole config is sent):\n${formatChanges(result.changes, '  ', displayAutoscaleValue)}`
}

export function renderSetResult(result: AutoscaleSetResult): string {
  if (result.changes.length === 0) return `autoscale config ${result.autoscale_config_name} unchanged`
  const verb = result.dry_run ? 'would change (dry run: nothing sent)' : 'changed (the whole config was sent)'
  return `autoscale config ${result.autoscale_config_name} ${verb}:\n${formatChanges(result.changes, '  ', displayAutoscaleValue)}`
}

const MARK: Record<HealthStatus, string> = {CRITICAL: 'CRITICAL', OK: 'OK', UNKNOWN: 'UNKNOWN', WARNING: 'WARNING'}

/** Per config: its grade, the reasons (each wait with its elapsed time), its servers, and what stuck servers need. */
export function renderStatus(report: AutoscaleStatusReport): string {
  if (report.configs.length === 0) return 'UNKNOWN: no autoscale configs'
  return report.configs.map((config) => renderConfigStatus(config)).join('\n\n')
}

function renderConfigStatus(config: ConfigStatus): string {
  const head = `${MARK[config.status]}: ${config.autoscale_config_name} (${config.autoscale_type}, zone ${config.zone_name ?? '-'}, pool ${config.server_pool_name ?? '-'})`
  const lines = [head, ...config.reasons.map((reason) => `  - ${reason}`)]
  if (config.server_pool && config.server_pool.servers.length > 0) {
    lines.push(
      renderTable<NonNullable<ConfigStatus['server_pool']>['servers'][number]>(
        [
          {get: (s) => s.hostname, header: 'server'},
          {get: (s) => s.operational_status ?? '-', header: 'status'},
          {get: (s) => (s.starting_seconds === null ? '-' : formatDuration(s.starting_seconds * 1000)), header: 'starting for'},
          {align: 'right', get: (s) => `${s.sessions}/${s.max_sessions}`, header: 'sessions'},
          {align: 'right', get: (s) => (s.max_users === null ? '-' : `${s.users}/${s.max_users}`), header: 'users'},
          {align: 'right', get: (s) => s.free_sessions, header: 'free sessions'},
          {align: 'right', get: (s) => s.free_users ?? '-', header: 'free users'},
          {align: 'right', get: (s) => s.available, header: 'can take (lower)'},
        ],
        config.server_pool.servers,
      ),
    )
  }

  if (config.docker_agent && config.docker_agent.agents.length > 0) {
    lines.push(
      renderTable<NonNullable<ConfigStatus['docker_agent']>['agents'][number]>(
        [
          {get: (a) => a.hostname, header: 'agent'},
          {get: (a) => (a.available ? 'yes' : 'no'), header: 'takes sessions'},
          {align: 'right', get: (a) => Math.round(a.free.cores * 100) / 100, header: 'free cores'},
          {align: 'right', get: (a) => formatBytes(a.free.memory), header: 'free memory'},
        ],
        config.docker_agent.agents,
      ),
    )
  }

  for (const stuck of config.stuck) lines.push(`  ${stuck.hostname} needs to check in with:\n    ${stuck.checkin_call}`)
  return lines.join('\n')
}
