import {UsageError} from '../errors.js'

/** PostgreSQL's limit on an identifier (NAMEDATALEN - 1). */
const MAX_IDENTIFIER_BYTES = 63
const IDENTIFIER = /^[A-Za-z_][\w$]*$/

/**
 * A table name as `--table` takes it: `logs` or `schema.table`, plain identifiers only. Checked
 * before anything reaches PostgreSQL, so an empty or crafted name is a usage error naming it.
 */
export function checkTableName(input: string, what = '--table'): string {
  const parts = input.split('.')
  const valid = parts.length <= 2 && parts.every((part) => IDENTIFIER.test(part) && Buffer.byteLength(part) <= MAX_IDENTIFIER_BYTES)
  if (!valid) {
    throw new UsageError(`${what} "${input}" is not a table name: use a name such as logs or schema.table (letters, digits, _ and $, at most ${MAX_IDENTIFIER_BYTES} characters each)`)
  }

  return input
}
