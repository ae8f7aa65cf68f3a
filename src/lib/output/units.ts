/** 1536 → "1.5 KiB"; sizes in reports and summaries. */
export function formatBytes(bytes: number | null | undefined): string {
  if (bytes === null || bytes === undefined) return '-'
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB']
  let value = Math.abs(bytes)
  let unit = 0
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024
    unit++
  }

  const text = unit === 0 ? String(value) : value >= 100 ? value.toFixed(0) : value.toFixed(1)
  return `${bytes < 0 ? '-' : ''}${text} ${units[unit]}`
}

/** 1234567 → "1,234,567". */
export function formatCount(count: number | null | undefined): string {
  return count === null || count === undefined ? '-' : count.toLocaleString('en-US')
}

const BYTE_UNITS: Record<string, number> = {
  '': 1,
  b: 1,
  g: 1024 ** 3,
  gb: 1e9,
  gib: 1024 ** 3,
  k: 1024,
  kb: 1e3,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1e6,
  mib: 1024 ** 2,
  t: 1024 ** 4,
  tb: 1e12,
  tib: 1024 ** 4,
}

/**
 * "8GiB", "512MiB", "2.5GB", "8G" (binary, as docker says), or a bare number of bytes → bytes.
 * Returns undefined for anything else; callers word the error with the flag or file key.
 */
export function parseBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(text.trim())
  const unit = match ? BYTE_UNITS[match[2].toLowerCase()] : undefined
  return match && unit !== undefined ? Math.round(Number(match[1]) * unit) : undefined
}
