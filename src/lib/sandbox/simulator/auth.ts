import type {IncomingHttpHeaders} from 'node:http'

import {verifyApiSecret} from '../kasm-crypto.js'
import type {Queryable} from './db.js'
import {statusError} from './http.js'
import type {KasmVersion} from './views.js'

export const GLOBAL_ADMIN = 200

/** An authenticated Developer API key. */
export class ApiKey {
  constructor(
    readonly apiId: string,
    readonly name: string,
    readonly readOnly: boolean,
    private readonly permissions: ReadonlySet<number>,
  ) {}

  /** GLOBAL_ADMIN holds every admin permission, but never implies the user-level ids below it (USER 100), as in Kasm. */
  has(...anyOf: number[]): boolean {
    return anyOf.some((p) => this.permissions.has(p) || (p > GLOBAL_ADMIN && this.permissions.has(GLOBAL_ADMIN)))
  }
}

interface Credentials {
  key: string
  secret: string
}

/**
 * Only newer Kasm reads HTTP Basic: 1.15 does not look at the Authorization header at all
 * (kasm-verified.md §1), so a Basic-only request reaches it without credentials. Versions older
 * than 1.19 are treated like 1.15; 1.19 accepts every documented variant.
 */
const readsBasicAuth = (version: KasmVersion): boolean => version === '1.19'

/** Kasm reads the key from the JSON body, the api-key/api-key-secret headers, or (newer Kasm) HTTP Basic. */
export function credentials(body: Record<string, unknown>, headers: IncomingHttpHeaders, version: KasmVersion): Credentials | undefined {
  if (typeof body.api_key === 'string' && typeof body.api_key_secret === 'string') {
    return {key: body.api_key, secret: body.api_key_secret}
  }

  const headerKey = headers['api-key']
  const headerSecret = headers['api-key-secret']
  if (typeof headerKey === 'string' && typeof headerSecret === 'string') return {key: headerKey, secret: headerSecret}

  const basic = readsBasicAuth(version) ? /^Basic\s+(\S+)$/i.exec(headers.authorization ?? '') : null
  if (basic) {
    const decoded = Buffer.from(basic[1], 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) return {key: decoded.slice(0, colon), secret: decoded.slice(colon + 1)}
  }

  return undefined
}

interface KeyRow {
  api_id: string
  api_key_secret_hash: string
  enabled: boolean
  expired: boolean
  name: string
  permissions: number[]
  read_only: boolean
  salt: string
}

/**
 * Checks the credentials the way Kasm's Authenticated decorator does, with its exact status codes:
 * none → 400 "Invalid Request"; unknown/wrong → 403 "Access Denied"; expired → 401 "Access has expired".
 */
export async function authenticate(db: Queryable, creds: Credentials | undefined): Promise<ApiKey> {
  if (!creds) throw statusError(400, 'Invalid Request')
  const {rows} = await db.query<KeyRow>(
    `SELECT a.api_id, a.name, a.api_key_secret_hash, a.salt, a.enabled, a.read_only,
            (a.expires IS NOT NULL AND a.expires < localtimestamp) AS expired,
            COALESCE(array_agg(g.permission_id) FILTER (WHERE g.permission_id IS NOT NULL), '{}') AS permissions
       FROM api_configs a LEFT JOIN group_permissions g ON g.api_id = a.api_id
      WHERE a.api_key = $1
      GROUP BY a.api_id`,
    [creds.key],
  )
  const row = rows[0]
  if (!row || !row.enabled || !verifyApiSecret(creds.secret, row.salt, row.api_key_secret_hash)) {
    throw statusError(403, 'Access Denied')
  }

  if (row.expired) throw statusError(401, 'Access has expired')
  // Kasm records each use of a key; nothing waits on it.
  db.query('UPDATE api_configs SET last_used = localtimestamp WHERE api_id = $1', [row.api_id]).catch(() => {})
  return new ApiKey(row.api_id, row.name, row.read_only, new Set(row.permissions))
}
