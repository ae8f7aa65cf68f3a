import type pg from 'pg'

import type {ApiKey} from '../auth.js'
import {businessError, unhandled} from '../http.js'
import type {KasmVersion} from '../views.js'

export type Row = Record<string, unknown>

/** What one API call sees: the database, the parsed body, the caller's key and the web app it reached. */
export interface ApiContext {
  db: pg.Pool
  body: Row
  key: ApiKey
  version: KasmVersion
  /** Host name the client asked for (Host header): what Kasm puts in place of "$request_host$". */
  requestHost: string
  /** server.zone_name of the answering web app (where request_kasm places sessions first). */
  zoneName: string
  /** The installation id that keys the settings encryption. */
  installationId(): Promise<string>
  /** A JWT as get_servers returns for one server (registration_jwt). */
  registrationJwt(serverId: string): string
  /** An agent counts as checked in when it reported within this many ms. */
  checkinWindowMs: number
}

export interface Endpoint {
  /** Any one of these is enough to pass the gate (GLOBAL_ADMIN always is); finer checks live in handle(). */
  permissions: number[]
  /** Read-only keys are refused on writes (401 "Unauthorized"). */
  write: boolean
  /** A licensed feature: with the sandbox fault autoscale-unlicensed Kasm refuses it (403). */
  licensed?: 'autoscale'
  handle(ctx: ApiContext): Promise<Row>
}

/** The body's target_<name> object, or Kasm's missing-parameters error. */
export function target(body: Row, name: string): Row {
  const value = body[`target_${name}`]
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw businessError('Invalid Request: Missing required parameters')
  }

  return value as Row
}

export type Kind = 'boolean' | 'integer' | 'string'

/**
 * Kasm hands request values to SQLAlchemy unchecked: a value of the wrong type fails in the database
 * layer and surfaces as the 500 "unhandled exception" page. Null/undefined mean "unchanged".
 */
export function typed(value: unknown, kind: Kind): boolean | number | string | undefined {
  if (value === null || value === undefined) return undefined
  switch (kind) {
    case 'boolean': {
      if (typeof value === 'boolean') return value
      break
    }

    case 'integer': {
      if (typeof value === 'number' && Number.isInteger(value)) return value
      if (typeof value === 'string' && /^-?\d+$/.test(value.trim())) return Number(value)
      break
    }

    case 'string': {
      if (typeof value === 'string') return value
      break
    }
  }

  throw unhandled()
}

/** Runs a write, mapping constraint violations to the unhandled-exception page as Kasm would. */
export async function write<T>(fn: () => Promise<T>): Promise<T> {
  try {
    return await fn()
  } catch (error) {
    if ((error as {code?: string}).code?.startsWith('23')) throw unhandled()
    throw error
  }
}

/** INSERT of these columns through write(); returns the row's `returning` column. */
export async function insertRow(db: pg.Pool, table: string, columns: Row, returning: string): Promise<unknown> {
  const names = Object.keys(columns)
  const placeholders = names.map((_, i) => `$${i + 1}`)
  const {rows} = await write(() => db.query(`INSERT INTO ${table} (${names.join(', ')}) VALUES (${placeholders.join(', ')}) RETURNING ${returning}`, Object.values(columns)))
  return rows[0][returning]
}

/** UPDATE of these columns of one row through write(); the number of rows changed (0: no such row). */
export async function updateRow(db: pg.Pool, table: string, idColumn: string, id: string, columns: Row): Promise<number> {
  const names = Object.keys(columns)
  if (names.length === 0) return (await db.query(`SELECT 1 FROM ${table} WHERE ${idColumn} = $1`, [id])).rowCount ?? 0
  const sets = names.map((name, i) => `${name} = $${i + 2}`).join(', ')
  const {rowCount} = await write(() => db.query(`UPDATE ${table} SET ${sets} WHERE ${idColumn} = $1`, [id, ...Object.values(columns)]))
  return rowCount ?? 0
}
