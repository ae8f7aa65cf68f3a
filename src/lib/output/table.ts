import Table from 'cli-table3'

export interface Column<T> {
  header: string
  get: (row: T) => unknown
  /** Right-align (numbers). */
  align?: 'left' | 'right'
}

/**
 * A kubectl-style table: upper-case headers, aligned columns, no borders, so that
 * the output stays readable and greppable.
 */
export function renderTable<T>(columns: Column<T>[], rows: T[]): string {
  const table = new Table({
    chars: {
      bottom: '', 'bottom-left': '', 'bottom-mid': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '',
      'mid-mid': '', middle: '   ', right: '', 'right-mid': '', top: '', 'top-left': '', 'top-mid': '', 'top-right': '',
    },
    colAligns: columns.map((c) => c.align ?? 'left'),
    head: columns.map((c) => c.header.toUpperCase()),
    style: {border: [], compact: true, head: [], 'padding-left': 0, 'padding-right': 0},
  })
  for (const row of rows) table.push(columns.map((c) => cell(c.get(row))))
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
}

/** Key/value pairs for `get` commands. */
export function renderDetails(pairs: Array<[string, unknown]>): string {
  const width = Math.max(...pairs.map(([key]) => key.length))
  return pairs.map(([key, value]) => `${`${key}:`.padEnd(width + 2)}${cell(value)}`).join('\n')
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '-'
  if (typeof value === 'boolean') return value ? 'yes' : 'no'
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}
