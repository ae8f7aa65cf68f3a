/**
 * Resolving what the operator typed (a name, a full or dashed id, a unique id prefix) to one object.
 * Generic so that agents and hosts resolve their arguments the same way zones do.
 */
import type {ContextConfig} from '../config/types.js'
import {NotFoundError, UsageError, listValues} from '../errors.js'
import {normalizeId, shortId} from '../kasm/ids.js'
import type {Zone} from '../kasm/types.js'
import {chooseOne} from '../output/prompt.js'

export interface RefOptions<T> {
  /** "zone", "agent"... for messages. */
  what: string
  name: (item: T) => string
  id: (item: T) => string
}

/** Id prefixes shorter than this are treated as names only, so "e" never matches an id by chance. */
const MIN_PREFIX = 4

/**
 * Finds the one item `ref` designates. Order: exact name, full id (dashes and case ignored), unique id
 * prefix, then a case-insensitive name. Unknown → NotFoundError listing the names; several
 * matches → NotFoundError listing them with their ids.
 */
export function resolveRef<T>(items: readonly T[], ref: string, options: RefOptions<T>): T {
  const {what} = options
  const byName = items.filter((item) => options.name(item) === ref)
  if (byName.length === 1) return byName[0]
  if (byName.length > 1) throw ambiguous(ref, byName, options)

  const id = normalizeId(ref)
  if (/^[\da-f]+$/.test(id) && id.length >= MIN_PREFIX) {
    const byId = items.filter((item) => normalizeId(options.id(item)).startsWith(id))
    if (byId.length === 1) return byId[0]
    if (byId.length > 1) throw ambiguous(ref, byId, options)
  }

  const byFoldedName = items.filter((item) => options.name(item).toLowerCase() === ref.trim().toLowerCase())
  if (byFoldedName.length === 1) return byFoldedName[0]
  if (byFoldedName.length > 1) throw ambiguous(ref, byFoldedName, options)

  const names = items.map((item) => options.name(item))
  throw new NotFoundError(`no ${what} "${ref}"${names.length > 0 ? `: known ${what}s: ${names.join(", ")}` : ` (there are no ${what}s)`}`, {
    details: {known: names, ref},
    hint: `name a ${what}, or give its id or a unique id prefix (at least ${MIN_PREFIX} characters)`,
  })
}

function ambiguous<T>(ref: string, matches: T[], options: RefOptions<T>): NotFoundError {
  const listed = matches.map((item) => `${options.name(item)} (${shortId(options.id(item))})`)
  return new NotFoundError(`"${ref}" matches ${matches.length} ${options.what}s: ${listValues(listed)}`, {
    details: {matches: matches.map((item) => ({id: normalizeId(options.id(item)), name: options.name(item)})), ref},
    hint: 'give more characters of the id, or the full id',
  })
}

const ZONE_REF: RefOptions<Zone> = {id: (zone) => zone.zone_id, name: (zone) => zone.zone_name, what: 'zone'}

/** The zone a ZONE argument designates. */
export function resolveZone<T extends Zone>(zones: readonly T[], ref: string): T {
  return resolveRef(zones, ref, ZONE_REF as RefOptions<T>)
}

/**
 * The zone a command without a ZONE argument works on: the argument, else the context's
 * defaultZone, else a pick list on a terminal, else an error listing the zones.
 */
export async function chooseZone<T extends Zone>(zones: readonly T[], ref: string | undefined, options: {context: ContextConfig; interactive: boolean}): Promise<T> {
  if (ref !== undefined) return resolveZone(zones, ref)
  const {defaultZone, name} = options.context
  if (defaultZone) return resolveZone(zones, defaultZone)
  const names = zones.map((zone) => zone.zone_name)
  if (!options.interactive) {
    throw new UsageError(`no ZONE given and context "${name}" has no defaultZone: name one of ${listValues(names)}`, {
      details: {known: names},
      hint: 'give the zone as the first argument, or set a default zone (`kasmctl context add NAME --default-zone ZONE ...`)',
    })
  }

  return chooseOne(
    'Which zone?',
    zones.map((zone) => ({name: `${zone.zone_name}  (${shortId(zone.zone_id)})`, value: zone})),
    {hint: 'give the zone as the first argument', interactive: true},
  )
}
