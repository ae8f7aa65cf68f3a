import Table from 'cli-table3'
import {stripVTControlCharacters} from 'node:util'

import {detectTerminal} from './terminal.js'

export interface Column<T> {
  header: string
  get: (row: T) => unknown
  /** Right-align (numbers). */
  align?: 'left' | 'right'
}

export interface TableOptions {
  /** The width to fit; default: stdout's terminal's, when it is one (a pipe or a file gets whole lines). */
  width?: number
}

/** Spaces between columns. */
const GAP = 3
/** A column is never wrapped narrower than this. */
const MIN_WRAPPED_WIDTH = 16

/**
 * A kubectl-style table: upper-case headers, aligned columns, no borders, so that
 * the output stays readable and greppable. On a terminal too narrow for it, the widest columns
 * wrap at word boundaries (fitWidths) rather than each line wrapping across the columns after it.
 */
export function renderTable<T>(columns: Column<T>[], rows: T[], options: TableOptions = {}): string {
  const head = columns.map((c) => c.header.toUpperCase())
  const cells = rows.map((row) => columns.map((c) => cell(c.get(row))))
  const colWidths = fitWidths([head, ...cells], options.width ?? detectTerminal().columns)
  const table = new Table({
    ...(colWidths ? {colWidths, wordWrap: true} : {}),
    chars: {
      bottom: '', 'bottom-left': '', 'bottom-mid': '', 'bottom-right': '', left: '', 'left-mid': '', mid: '',
      'mid-mid': '', middle: '   ', right: '', 'right-mid': '', top: '', 'top-left': '', 'top-mid': '', 'top-right': '',
    },
    colAligns: columns.map((c) => c.align ?? 'left'),
    head,
    style: {border: [], compact: true, head: [], 'padding-left': 0, 'padding-right': 0},
  })
  table.push(...cells)
  return table
    .toString()
    .split('\n')
    .map((line) => line.trimEnd())
    .join('\n')
}

/**
 * Column widths for a table of these lines (header first) in `width` characters: undefined when it
 * fits as it is (or no width is known); else the widest columns capped at the largest width that
 * fits (null: as wide as its content). A column is never narrower than MIN_WRAPPED_WIDTH nor than
 * its longest word, which the table would cut short (a file name, an id); such a table stays wider.
 */
export function fitWidths(lines: string[][], width: number | undefined): Array<number | null> | undefined {
  if (!width || lines.length === 0) return undefined
  const natural = lines[0].map((_, index) => Math.max(...lines.map((line) => visibleWidth(line[index]))))
  const narrowest = lines[0].map((_, index) =>
    Math.min(natural[index], Math.max(MIN_WRAPPED_WIDTH, ...lines.map((line) => longestWord(line[index])))),
  )
  const widths = (cap: number) => natural.map((w, index) => (w > cap ? Math.max(cap, narrowest[index]) : w))
  const total = (cap: number) => widths(cap).reduce((sum, w) => sum + w, GAP * (natural.length - 1))
  let cap = Math.max(...natural)
  if (total(cap) <= width) return undefined
  while (cap > MIN_WRAPPED_WIDTH && total(cap) > width) cap--
  return widths(cap).map((w, index) => (w < natural[index] ? w : null))
}

/** The widest line of a cell as a terminal shows it (colour codes take no room). */
function visibleWidth(text: string): number {
  return Math.max(...stripVTControlCharacters(text).split('\n').map((line) => line.length))
}

function longestWord(text: string): number {
  return Math.max(0, ...stripVTControlCharacters(text).split(/\s+/).map((word) => word.length))
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
