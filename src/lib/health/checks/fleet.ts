import {computeZoneCapacity, type ZoneCapacity} from '../../agents/capacity.js'
import {describeSize} from '../../agents/guard.js'
import {groupByImage, slotsIn} from '../../capacity/index.js'
import {formatAge, formatDuration} from '../../duration.js'
import {parseKasmDate} from '../../kasm/normalize.js'
import type {Server, Zone} from '../../kasm/types.js'
import type {CheckOutcome, DeploymentView, RunContext} from '../run-context.js'
import {above, below, grade, worstStatus} from '../status.js'
import type {HealthCheck, HealthRole, HealthStatus} from '../types.js'

/** Something that checks in to Kasm: agent, manager, connection proxy. */
interface Reporter {
  last_reported?: null | string
  last_reported_elapsed?: null | string
  last_reported_seconds?: null | number
}

/** Connection types served through a connection proxy (Guacamole): sizing-and-deployment.txt. */
const PROXIED_CONNECTION_TYPES = new Set(['RDP', 'SSH', 'VNC'])

/**
 * Seconds since the last check-in. Kasm's own elapsed fields are preferred: they are computed on
 * the server's clock, so a skewed local clock cannot fake a stale agent.
 */
function checkinAgeSeconds(item: Reporter, now: Date): number | undefined {
  if (typeof item.last_reported_seconds === 'number') return Math.round(item.last_reported_seconds)
  const elapsed = item.last_reported_elapsed?.match(/^(?:(\d+) days?, )?(\d+):(\d\d):(\d\d)/)
  if (elapsed) return Number(elapsed[1] ?? 0) * 86_400 + Number(elapsed[2]) * 3600 + Number(elapsed[3]) * 60 + Number(elapsed[4])
  const date = parseKasmDate(item.last_reported)
  return date ? Math.max(0, Math.round((now.getTime() - date.getTime()) / 1000)) : undefined
}

function gradeCheckin(run: RunContext, item: Reporter): CheckOutcome & {age?: number} {
  const {critical, warning} = run.thresholds.checkinSeconds
  const threshold = above(warning, critical)
  const age = checkinAgeSeconds(item, run.now)
  if (age === undefined) return {message: 'never checked in', status: 'CRITICAL', threshold, unit: 's', value: null}
  const status = grade(age, threshold)
  const when = `last check-in ${formatAge(new Date(run.now.getTime() - age * 1000), run.now)} ago`
  const limit = status === 'OK' ? '' : ` (warning > ${formatDuration(warning * 1000)}, critical > ${formatDuration(critical * 1000)})`
  return {age, message: `${when}${limit}`, status, threshold, unit: 's', value: age}
}

function isLive(run: RunContext, item: Reporter): boolean {
  const age = checkinAgeSeconds(item, run.now)
  return age !== undefined && age <= run.thresholds.checkinSeconds.critical
}

/** Operational states other than running: being created or removed is a warning, gone is critical. */
const OPERATIONAL_STATUS: Record<string, HealthStatus> = {
  dead: 'CRITICAL',
  delete_pending: 'WARNING',
  destroying: 'WARNING',
  missing: 'CRITICAL',
  running: 'OK',
  starting: 'WARNING',
}

function zonesInScope(run: RunContext, view: DeploymentView): Zone[] {
  return view.zones.filter((z) => !run.zone || z.zone_name === run.zone)
}

function zoneOf(view: DeploymentView, item: {zone_id?: null | string; zone_name?: null | string}): string | undefined {
  return item.zone_name ?? view.zones.find((z) => z.zone_id === item.zone_id)?.zone_name ?? undefined
}

/** One UNKNOWN check standing for a role whose data the API could not give. */
async function withDeployment(run: RunContext, role: HealthRole, build: (view: DeploymentView) => Promise<HealthCheck>[]): Promise<HealthCheck[]> {
  let view: DeploymentView
  try {
    view = await run.deployment()
  } catch (error) {
    return [await run.check(role, run.context.api.url, 'api-read', async () => {
      throw error
    }, {limited: false})]
  }

  return Promise.all(build(view))
}

/**
 * Docker agents: check-in age and operational status of each; per zone, the HA minimum of two
 * enabled, live agents (high-availability.txt: "2+ Agents per zone") and whether the zone's
 * sessions would each still find an agent with room after losing its largest agent (N+1, Kasm's
 * per-agent placement: src/lib/capacity).
 */
export async function agentChecks(run: RunContext): Promise<HealthCheck[]> {
  return withDeployment(run, 'agent', (view) => {
    const agents = view.servers.filter((s) => s.server_type === 'host' && (!run.zone || zoneOf(view, s) === run.zone))
    const perAgent = agents.map((agent) =>
      run.check('agent', agent.hostname, 'checkin', async () => {
        const checkin = gradeCheckin(run, agent)
        if (!agent.enabled) return {...checkin, message: `disabled (no new sessions); ${checkin.message}`, status: 'OK'}
        const operational = agent.operational_status ?? 'running'
        const status = worstStatus([checkin.status, OPERATIONAL_STATUS[operational] ?? 'WARNING'])
        return {...checkin, message: operational === 'running' ? checkin.message : `${operational}; ${checkin.message}`, status}
      }, {limited: false}),
    )
    let capacities: Promise<ZoneCapacity[]> | undefined
    const capacityOf = async (zoneId: string) => {
      capacities ??= run.client().then(async (client) => computeZoneCapacity(view.servers, (await client.getKasms()).kasms, view.zones))
      return (await capacities).find((c) => c.zoneId === zoneId)
    }

    const perZone = zonesInScope(run, view).flatMap((zone) => {
      const inZone = agents.filter((a) => zoneOf(view, a) === zone.zone_name)
      if (inZone.length === 0) return []
      return [
        run.check('agent', zone.zone_name, 'ha-minimum', async () => haMinimum(run, inZone), {limited: false}),
        run.check('agent', zone.zone_name, 'capacity', async () => loseOne(await capacityOf(zone.zone_id)), {limited: false}),
      ]
    })
    return [...perAgent, ...perZone]
  })
}

function haMinimum(run: RunContext, agents: Server[]): CheckOutcome {
  const live = agents.filter((a) => a.enabled && (a.operational_status ?? 'running') === 'running' && isLive(run, a)).length
  const enabled = agents.filter((a) => a.enabled).length
  const threshold = below(2, 1)
  const status = grade(live, threshold)
  const advice = status === 'OK' ? '' : live === 0 ? ': no agent can take new sessions in this zone' : ': losing it stops new sessions in this zone (HA minimum 2)'
  return {message: `${live} live of ${enabled} enabled / ${agents.length} agents${advice}`, status, threshold, unit: 'count', value: live}
}

function loseOne(capacity: undefined | ZoneCapacity): CheckOutcome {
  // Room for more sessions is shown, not graded (the grade is N+1), so no unit: it stays out of perfdata.
  const more = capacity?.largest ? slotsIn(capacity.agents, capacity.largest.size) : Number.NaN
  const base = {threshold: null, unit: null, value: Number.isFinite(more) ? more : null}
  if (!capacity || capacity.availableAgents === 0) return {...base, message: 'no available agent', status: 'CRITICAL'}
  const room = capacity.largest && Number.isFinite(more) ? `, room for ${more} more ${capacity.largest.image} (${describeSize(capacity.largest.size)})` : ''
  const sessions = `${capacity.sessions} session(s) on ${capacity.availableAgents} available agent(s)${room}`
  const {lost, unplaced} = capacity.nPlus1
  if (unplaced.length === 0) return {...base, message: `${sessions}; every session would find a place after losing ${lost.join(', ') || 'an agent'}`, status: 'OK'}
  const without = groupByImage(unplaced).map((g) => `${g.sessions} × ${g.image}`).join(', ')
  return {...base, message: `${sessions}; losing ${lost.join(', ')} would leave ${unplaced.length} session(s) without a place: ${without} (N+1 not met)`, status: 'WARNING'}
}

/**
 * Managers (one per web app): check-in age of each; per zone, a zone whose managers exist but
 * none is live is CRITICAL, and a zone with agents but no manager ever registered is a WARNING:
 * agents check in to a manager of their zone.
 */
export async function managerChecks(run: RunContext): Promise<HealthCheck[]> {
  return withDeployment(run, 'manager', (view) => {
    const managers = view.managers.filter((m) => !run.zone || zoneOf(view, m) === run.zone)
    const perManager = managers.map((manager) =>
      run.check('manager', manager.manager_hostname, 'checkin', async () => gradeCheckin(run, manager), {limited: false}),
    )
    const perZone = zonesInScope(run, view).flatMap((zone) => {
      const inZone = managers.filter((m) => zoneOf(view, m) === zone.zone_name)
      const agents = view.servers.filter((s) => s.server_type === 'host' && zoneOf(view, s) === zone.zone_name)
      if (inZone.length === 0 && agents.length === 0) return []
      return [
        run.check('manager', zone.zone_name, 'live-manager', async () => {
          const live = inZone.filter((m) => isLive(run, m)).length
          const base = {threshold: below(null, 1), unit: 'count' as const, value: live}
          if (inZone.length === 0) {
            return {...base, message: `${agents.length} agent(s) but no manager registered in this zone: agents check in to a manager of their zone`, status: 'WARNING'}
          }

          if (live === 0) return {...base, message: `none of ${inZone.length} manager(s) has checked in recently: no sessions can be placed in this zone`, status: 'CRITICAL'}
          return {...base, message: `${live} of ${inZone.length} manager(s) live`, status: 'OK'}
        }, {limited: false}),
      ]
    })
    return [...perManager, ...perZone]
  })
}

/**
 * Connection proxies (Guacamole): check-in age of each; per zone with RDP/VNC/SSH servers, at
 * least one live (CRITICAL) and two for redundancy (WARNING) — sizing-and-deployment.txt.
 */
export async function connectionProxyChecks(run: RunContext): Promise<HealthCheck[]> {
  return withDeployment(run, 'connection-proxy', (view) => {
    const proxies = view.connectionProxies.filter((p) => !run.zone || zoneOf(view, p) === run.zone)
    const perProxy = proxies.map((proxy) =>
      run.check('connection-proxy', proxy.server_address, 'checkin', async () => gradeCheckin(run, proxy), {limited: false}),
    )
    const perZone = zonesInScope(run, view).flatMap((zone) => {
      const desktops = view.servers.filter(
        (s) => s.server_type === 'Desktop' && PROXIED_CONNECTION_TYPES.has(String(s.connection_type).toUpperCase()) && zoneOf(view, s) === zone.zone_name,
      )
      if (desktops.length === 0) return []
      return [
        run.check('connection-proxy', zone.zone_name, 'coverage', async () => {
          const live = proxies.filter((p) => zoneOf(view, p) === zone.zone_name && isLive(run, p)).length
          const threshold = below(2, 1)
          const status = grade(live, threshold)
          const advice = live === 0 ? ': RDP/VNC/SSH sessions cannot connect' : live === 1 ? ': no redundancy (2 recommended)' : ''
          return {message: `${live} live connection proxy(ies) for ${desktops.length} RDP/VNC/SSH server(s)${advice}`, status, threshold, unit: 'count', value: live}
        }, {limited: false}),
      ]
    })
    return [...perProxy, ...perZone]
  })
}
