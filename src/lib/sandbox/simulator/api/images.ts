import {type KasmVersion, memoryFields} from '../views.js'
import type {Endpoint, Row} from './context.js'

/** Kasm's image object (kasm-verified.md §3): 1.19 names memory and the size in bytes, 1.15 in `memory` / MB. */
function imageJson(row: Row, version: KasmVersion): Row {
  const sizeBytes = row.uncompressed_size_bytes === null || row.uncompressed_size_bytes === undefined ? null : Number(row.uncompressed_size_bytes)
  return {
    categories: row.categories ?? [],
    cores: Number(row.cores),
    cpu_allocation_method: row.cpu_allocation_method ?? 'Inherit',
    enabled: row.enabled,
    friendly_name: row.friendly_name ?? null,
    gpu_count: row.gpus ?? 0,
    image_id: row.image_id,
    image_type: row.image_type,
    ...memoryFields(version, Number(row.memory_bytes)),
    name: row.name,
    require_gpu: row.require_gpu ?? false,
    restrict_to_zone: row.restrict_to_zone ?? false,
    server_pool_id: null,
    session_time_limit: row.session_time_limit ?? null,
    ...(version === '1.19' ? {uncompressed_size_bytes: sizeBytes} : {uncompressed_size_mb: sizeBytes === null ? null : Math.round(sizeBytes / 1_000_000)}),
    zone_id: row.zone_id ?? null,
    zone_name: row.zone_name ?? null,
  }
}

export const imageEndpoints: Record<string, Endpoint> = {
  get_images: {
    // IMAGES_VIEW. Kasm's admin list: every image, enabled or not.
    permissions: [900],
    write: false,
    async handle(ctx) {
      const {rows} = await ctx.db.query('SELECT i.*, z.zone_name FROM images i LEFT JOIN zones z ON z.zone_id = i.zone_id ORDER BY i.friendly_name, i.name')
      return {images: rows.map((r) => imageJson(r, ctx.version))}
    },
  },
}
