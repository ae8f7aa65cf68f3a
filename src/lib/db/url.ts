import {listValues} from '../errors.js'

/** libpq's sslmode values. `prefer` tries SSL and falls back to plain; `require` encrypts without verifying. */
export const SSL_MODES = ['disable', 'prefer', 'require', 'verify-ca', 'verify-full'] as const
export type SslMode = (typeof SSL_MODES)[number]

const DATABASE_URL_EXAMPLE = 'postgres://kasmapp@db:5432/kasm?sslmode=require'

/**
 * What is wrong with a database URL, if anything: the one check for `context add --db-url`, the
 * config file and every URL a command is given, so that a bad sslmode is refused when it is typed,
 * not at the first connection. Whether a password may be in it is the caller's rule.
 */
export function databaseUrlProblem(value: string): string | undefined {
  let url: URL
  try {
    url = new URL(value)
  } catch {
    return `is not a URL: expected e.g. ${DATABASE_URL_EXAMPLE}`
  }

  if (url.protocol !== 'postgres:' && url.protocol !== 'postgresql:') return `must be a postgres:// URL, not ${url.protocol.replace(':', '')}`
  const sslmode = url.searchParams.get('sslmode')
  if (sslmode !== null && !(SSL_MODES as readonly string[]).includes(sslmode)) return `has sslmode "${sslmode}", not one of ${listValues(SSL_MODES)}`
  return undefined
}
