import {normalizeId} from './ids.js'
import type {Image, Kasm, Server, Zone} from './types.js'

type Raw = Record<string, unknown>

function id(value: unknown): string {
  return typeof value === 'string' ? normalizeId(value) : (value as string)
}

function optionalId(value: unknown): null | string | undefined {
  return typeof value === 'string' ? normalizeId(value) : (value as null | undefined)
}

function bytes(modern: unknown, legacy: unknown): number {
  const value = modern ?? legacy
  return typeof value === 'number' ? value : Number(value ?? 0) || 0
}

/**
 * Accepts 1.15/1.16 (`memory`, `memory_override`) and 1.19 (`memory_bytes`, `memory_override_bytes`)
 * field names: every reader of servers, kasms and zones goes through this module (kasm-verified.md §3).
 */
export function normalizeServer(raw: Raw): Server {
  const server = {...raw} as Server
  server.server_id = id(raw.server_id)
  server.zone_id = optionalId(raw.zone_id)
  server.manager_id = optionalId(raw.manager_id)
  server.memory = bytes(raw.memory_bytes, raw.memory)
  server.memory_override = bytes(raw.memory_override_bytes, raw.memory_override)
  delete server.memory_bytes
  delete server.memory_override_bytes
  return server
}

/**
 * A zone of get_zones / create_zone / update_zone: 32-hex id, its servers normalised, free memory in
 * bytes (`available_memory`, or a 1.19-style `available_memory_bytes`).
 */
export function normalizeZone(raw: Raw): Zone {
  const {available_memory_bytes: memoryBytes, ...zone} = raw
  zone.zone_id = id(raw.zone_id)
  if (Array.isArray(raw.servers)) zone.servers = (raw.servers as Raw[]).map((server) => normalizeServer(server))
  if (memoryBytes !== undefined || raw.available_memory !== undefined) zone.available_memory = bytes(memoryBytes, raw.available_memory)
  return zone as unknown as Zone
}

export function normalizeKasm(raw: Raw): Kasm {
  const kasm = {...raw} as Kasm
  kasm.kasm_id = id(raw.kasm_id)
  kasm.server_id = optionalId(raw.server_id)
  kasm.memory = bytes(raw.memory_bytes, raw.memory)
  delete kasm.memory_bytes
  return kasm
}

/** Kasm datetimes are naive UTC strings ("2024-03-05 22:18:50.063048"). */
export function parseKasmDate(value: null | string | undefined): Date | undefined {
  if (!value) return undefined
  const iso = value.includes('T') ? value : value.replace(' ', 'T')
  const date = new Date(/[zZ]|[+-]\d\d:?\d\d$/.test(iso) ? iso : `${iso}Z`)
  return Number.isNaN(date.getTime()) ? undefined : date
}

/** Formats a Date the way Kasm does: UTC, no zone marker, microseconds. */
export function formatKasmDate(date: Date): string {
  return date.toISOString().replace('T', ' ').replace('Z', '000')
}

/** Kasm's defaults for an image without sizes (kasm-verified.md §3). */
const IMAGE_DEFAULTS = {cores: 1, memory: 768_000_000} as const

/** Accepts 1.15 (`memory`, `uncompressed_size_mb`) and 1.19 (`memory_bytes`, `uncompressed_size_bytes`) field names. */
export function normalizeImage(raw: Raw): Image {
  const image = {...raw} as Image
  image.image_id = id(raw.image_id)
  image.zone_id = optionalId(raw.zone_id)
  image.server_pool_id = optionalId(raw.server_pool_id)
  image.cores = raw.cores === null || raw.cores === undefined ? IMAGE_DEFAULTS.cores : Number(raw.cores) || 0
  image.memory = raw.memory_bytes === undefined && raw.memory === undefined ? IMAGE_DEFAULTS.memory : bytes(raw.memory_bytes, raw.memory)
  image.gpu_count = Number(raw.gpu_count ?? 0) || 0
  image.enabled = raw.enabled !== false
  const sizeBytes = raw.uncompressed_size_bytes ?? (raw.uncompressed_size_mb === null || raw.uncompressed_size_mb === undefined ? null : Number(raw.uncompressed_size_mb) * 1_000_000)
  image.uncompressed_size_bytes = sizeBytes === null ? null : Number(sizeBytes)
  delete image.memory_bytes
  delete image.uncompressed_size_mb
  return image
}
