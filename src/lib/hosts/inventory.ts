import type {ContextConfig, HostEntry, HostRole} from '../config/types.js'
import {ConfigError, UsageError, listValues} from '../errors.js'
import {ZONE_ROLES} from './layout.js'

export interface HostSelection {
  /** --host NAME (repeatable) */
  names?: string[]
  /** --role */
  role?: HostRole
  /** --all: every host of the inventory that carries a zone (web apps and connection proxies) */
  all?: boolean
}

/**
 * The context's hosts a command acts on, web apps first (the zone guide's order), then connection
 * proxies, each group in inventory order. Names are checked against the inventory.
 */
export function selectHosts(context: ContextConfig, selection: HostSelection, options: {zoneHostsOnly?: boolean} = {}): HostEntry[] {
  const inventory = context.hosts ?? []
  if (inventory.length === 0) {
    throw new ConfigError(`context "${context.name}" has no host inventory`, {
      hint: `re-add the context with its hosts: \`kasmctl context add ${context.name} --overwrite ... --host name=web1,address=10.0.0.5,roles=webapp,ssh=root@10.0.0.5\``,
    })
  }

  let selected: HostEntry[]
  if (selection.names && selection.names.length > 0) {
    const known = inventory.map((host) => host.name)
    const unknown = selection.names.filter((name) => !known.includes(name))
    if (unknown.length > 0) {
      throw new UsageError(`host ${listValues(unknown.map((name) => `"${name}"`))} is not in the inventory of context "${context.name}"`, {
        hint: `known hosts: ${listValues(known)}`,
      })
    }

    selected = inventory.filter((host) => selection.names!.includes(host.name))
  } else if (selection.role) {
    selected = inventory.filter((host) => host.roles.includes(selection.role!))
    if (selected.length === 0) throw new UsageError(`context "${context.name}" has no host with role ${selection.role}`, {hint: rolesHint(inventory)})
  } else {
    selected = inventory
  }

  if (options.zoneHostsOnly) {
    const withoutZone = selected.filter((host) => !carriesZone(host))
    if (selection.names?.length && withoutZone.length > 0) {
      throw new UsageError(`host ${listValues(withoutZone.map((host) => host.name))} has no ${listValues([...ZONE_ROLES])} role, so no zone in its config`, {
        hint: 'an agent takes the zone of the manager it checks in to: change it with `kasmctl agent` commands',
      })
    }

    selected = selected.filter((host) => carriesZone(host))
    if (selected.length === 0) {
      throw new UsageError(`context "${context.name}" has no ${listValues([...ZONE_ROLES])} host: no host carries a zone in its config`, {hint: rolesHint(inventory)})
    }
  }

  return [...selected].sort((a, b) => rank(a) - rank(b))
}

function carriesZone(host: HostEntry): boolean {
  return ZONE_ROLES.some((role) => host.roles.includes(role))
}

function rank(host: HostEntry): number {
  if (host.roles.includes('webapp')) return 0
  if (host.roles.includes('connection-proxy')) return 1
  return 2
}

function rolesHint(inventory: HostEntry[]): string {
  const roles = [...new Set(inventory.flatMap((host) => host.roles))]
  return roles.length > 0 ? `roles in the inventory: ${listValues(roles)}` : 'no host has a role: add roles with `kasmctl context add`'
}
