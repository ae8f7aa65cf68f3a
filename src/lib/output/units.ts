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
