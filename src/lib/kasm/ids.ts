import {UsageError} from '../errors.js'

const HEX32 = /^[\da-f]{32}$/

/** Kasm emits ids as 32 lowercase hex chars; users may paste dashed UUIDs or upper case. */
export function normalizeId(id: string): string {
  return id.trim().toLowerCase().replaceAll('-', '')
}

export function isKasmId(id: string): boolean {
  return HEX32.test(normalizeId(id))
}

/** Validates and normalises an id given by the user. */
export function parseKasmId(id: string, what = 'id'): string {
  const normalized = normalizeId(id)
  if (!HEX32.test(normalized)) {
    throw new UsageError(`${what} "${id}" is not a Kasm id: expected 32 hex characters (dashes allowed)`)
  }

  return normalized
}

/** The first 8 characters, for tables. */
export function shortId(id: string | null | undefined): string {
  return id ? normalizeId(id).slice(0, 8) : ''
}

/** Same id, whatever the dashes and case. */
export function sameId(a: string | null | undefined, b: string | null | undefined): boolean {
  return Boolean(a && b && normalizeId(a) === normalizeId(b))
}
