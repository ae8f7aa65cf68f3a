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

const BINARY_UNITS: Record<string, number> = {'': 1, b: 1, g: 1024 ** 3, k: 1024, m: 1024 ** 2, t: 1024 ** 4}

/**
 * "2GiB", "2GB", "2g", "500MiB", "1.5T" → bytes. Units are binary whichever spelling (K, KB, KiB
 * are all 1024), as Docker and Kasm count memory and disk; a bare number is bytes. undefined when
 * the text is no size.
 */
export function parseBytes(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(?:([kmgt])(?:i?b)?|(b)?)$/i.exec(text.trim())
  if (!match) return undefined
  return Math.round(Number(match[1]) * BINARY_UNITS[(match[2] ?? match[3] ?? '').toLowerCase()])
}
