import pg from 'pg'
import type {ConnectionOptions} from 'node:tls'

import type {ContextConfig, HostEntry} from '../config/types.js'
import {AuthError, ConfigError, OperationError, UnavailableError} from '../errors.js'
import {type DatabaseTarget, findHost, targetFromContext, targetFromHost} from './target.js'

export interface ConnectOptions {
  /** Read the `database:` block of this host's api.app.config.yaml instead of the context's database. */
  fromHost?: HostEntry
  /** Shown in pg_stat_activity, so that a lock holder can be told apart (default "kasmctl"). */
  applicationName?: string
  connectTimeoutMs?: number
}

// Kasm stores naive UTC timestamps: read them as UTC, not in the client's local time zone.
const TIMESTAMP_OID = 1114
const parseUtcTimestamp = (value: string): Date => new Date(`${value.replace(' ', 'T')}Z`)
const typeParsers = {
  getTypeParser: ((oid: number, format?: 'binary' | 'text') =>
    oid === TIMESTAMP_OID ? parseUtcTimestamp : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

/**
 * A connected client for the context's database (`database.url` + password SecretRef + sslmode)
 * or, with `fromHost`, for the database named in that host's api.app.config.yaml (read locally or
 * over SSH). Failures name host, port, database and the likely cause: UnavailableError (69) when
 * the server cannot be reached or spoken to, AuthError (77) when it refuses the user.
 */
export async function connectDatabase(context: ContextConfig, options: ConnectOptions = {}): Promise<pg.Client> {
  const target = options.fromHost ? await targetFromHost(context, options.fromHost) : await targetFromContext(context)
  return connectTarget(target, options)
}

/** How each client connectTarget opened was reached (target, TLS, credentials), for connectAgain. */
const reachedBy = new WeakMap<pg.Client, () => Promise<pg.Client>>()

/** Another connection to the database `db` is connected to, reached the same way. */
export async function connectAgain(db: pg.Client): Promise<pg.Client> {
  const open = reachedBy.get(db)
  if (!open) throw new OperationError('this connection was not opened by connectTarget: kasmctl cannot open another like it')
  return open()
}

/** Opens a connection to a resolved target. `prefer` retries without SSL when the server has none. */
export async function connectTarget(target: DatabaseTarget, options: Pick<ConnectOptions, 'applicationName' | 'connectTimeoutMs'> = {}): Promise<pg.Client> {
  const attempt = async (ssl: ConnectionOptions | false): Promise<pg.Client> => {
    const client = new pg.Client({
      application_name: options.applicationName ?? 'kasmctl',
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      database: target.database,
      host: target.host,
      password: target.password,
      port: target.port,
      ssl,
      types: typeParsers,
      user: target.user,
    })
    // An 'error' event without a listener would crash the process (e.g. the server restarts while idle).
    client.on('error', () => undefined)
    try {
      await client.connect()
      reachedBy.set(client, async () => attempt(ssl).catch((error: unknown) => Promise.reject(connectionError(target, error))))
      return client
    } catch (error) {
      await client.end().catch(() => undefined)
      throw error
    }
  }

  const ssl = sslOptions(target)
  try {
    return await attempt(ssl)
  } catch (error) {
    if (target.sslmode === 'prefer' && /does not support SSL/i.test((error as Error).message)) {
      try {
        return await attempt(false)
      } catch (plainError) {
        throw connectionError(target, plainError)
      }
    }

    throw connectionError(target, error)
  }
}

function sslOptions(target: DatabaseTarget): ConnectionOptions | false {
  switch (target.sslmode) {
    case 'disable': {
      return false
    }

    case 'prefer':
    case 'require': {
      // As libpq: encrypted, certificate not checked (Kasm's database certificate is self-signed).
      return {rejectUnauthorized: false}
    }

    case 'verify-ca': {
      requireCa(target)
      // The chain is verified against the CA; the host name is not (libpq verify-ca).
      return {ca: target.caPem, checkServerIdentity: () => undefined, rejectUnauthorized: true}
    }

    case 'verify-full': {
      requireCa(target)
      return {ca: target.caPem, rejectUnauthorized: true, servername: target.host}
    }
  }
}

function requireCa(target: DatabaseTarget): void {
  if (!target.caPem) {
    throw new ConfigError(`sslmode=${target.sslmode} (${target.source}) needs the CA that signed the database certificate`, {
      hint: 'set database.caFile in the context (e.g. a copy of /opt/kasm/current/certs/db_server.crt), or use sslmode=require',
    })
  }
}

const TLS_ERROR = /CERT|SSL|TLS|SELF_SIGNED|UNABLE_TO_VERIFY|certificate/i

/** Turns a connection failure into a typed error naming the server and the likely cause. */
export function connectionError(target: DatabaseTarget, error: unknown): AuthError | ConfigError | UnavailableError {
  const e = error as {code?: string; message?: string}
  const code = e.code ?? ''
  const message = e.message ?? String(error)
  const where = `${target.host}:${target.port} (database ${target.database}, user ${target.user}, from ${target.source})`
  const details = {code, database: target.database, host: target.host, port: target.port, user: target.user}

  if (code === '28P01' || /password authentication failed/i.test(message)) {
    return new AuthError(`PostgreSQL at ${where} refused the password`, {
      details,
      hint: "check the context's database password (or the password in the host's api.app.config.yaml)",
    })
  }

  if (/client password must be a string|password must be a string/i.test(message)) {
    return new AuthError(`PostgreSQL at ${where} asks for a password, and none is configured`, {
      details,
      hint: 'set the database password in the context (`kasmctl context add --db-password-file PATH`), or use --from-host HOST',
    })
  }

  if (code === '28000' || /pg_hba\.conf/i.test(message)) {
    const noSsl = /no encryption/i.test(message)
    return new AuthError(`PostgreSQL at ${where} has no pg_hba.conf entry for this client${noSsl ? ' without SSL' : ''}: ${message}`, {
      details,
      hint: noSsl
        ? "Kasm's database accepts remote clients over SSL only: use sslmode=require in the database URL"
        : 'allow this client in pg_hba.conf on the database host (Kasm: hostssl all all <network> md5), then reload PostgreSQL',
    })
  }

  if (code === '3D000') {
    return new UnavailableError(`database ${target.database} does not exist on ${target.host}:${target.port}`, {
      details,
      hint: 'Kasm\'s database is named "kasm": check the database name in the URL',
    })
  }

  if (/does not support SSL/i.test(message)) {
    return new UnavailableError(`PostgreSQL at ${where} does not accept SSL connections`, {
      details,
      hint: 'use sslmode=prefer or sslmode=disable in the database URL, or enable ssl on the server',
    })
  }

  if (TLS_ERROR.test(code) || TLS_ERROR.test(message)) {
    return new UnavailableError(`SSL error talking to PostgreSQL at ${where}: ${message}`, {
      details,
      hint: 'Kasm uses a self-signed database certificate: use sslmode=require, or set database.caFile to the CA that signed it for verify-ca/verify-full',
    })
  }

  const network: Record<string, string> = {
    EAI_AGAIN: 'DNS lookup failed',
    ECONNREFUSED: 'connection refused (is PostgreSQL running and listening on that address? Kasm publishes 5432 only on a database-role host)',
    ECONNRESET: 'connection reset',
    EHOSTUNREACH: 'host unreachable',
    ENOTFOUND: 'host name not found (DNS)',
    ETIMEDOUT: 'timed out',
  }
  if (network[code] || /timeout/i.test(message)) {
    const composeName = /^(db|kasm_db)$/.test(target.host) ? ` ("${target.host}" is the docker compose service name, reachable only inside Kasm's network)` : ''
    return new UnavailableError(`cannot reach PostgreSQL at ${where}: ${network[code] ?? 'connection timed out'}${composeName}`, {
      details,
      hint: composeName ? 'set the database URL in the context to the database host\'s address' : 'check the host, port and firewall, or run `kasmctl health`',
    })
  }

  if (code === '53300' || code === '57P03') {
    return new UnavailableError(`PostgreSQL at ${where} cannot accept the connection now: ${message}`, {details, hint: 'retry in a moment'})
  }

  return new UnavailableError(`cannot connect to PostgreSQL at ${where}: ${message}`, {details})
}

/** Connects (context database, or `fromHost`'s api.app.config.yaml), runs `work`, always disconnects. */
export async function withDatabase<T>(context: ContextConfig, fromHost: string | undefined, work: (db: pg.Client) => Promise<T>): Promise<T> {
  const db = await connectDatabase(context, {fromHost: fromHost ? findHost(context, fromHost) : undefined})
  try {
    return await work(db)
  } finally {
    await db.end().catch(() => undefined)
  }
}

/** host:port/database of a connected client, for output. */
export function connectedTo(db: pg.Client): {host: string; port: number; database: string; user: string} {
  return {database: db.database ?? '', host: db.host, port: db.port, user: db.user ?? ''}
}
