import {readFile, stat} from 'node:fs/promises'

import {UsageError, listValues} from '../errors.js'
import {describeSecret} from './secrets.js'
import {contextProblem, describe, httpUrlProblem} from './schema.js'
import {checkContextName, findContext, type LoadedConfig, upsertContext} from './store.js'
import {HOST_ROLES, type ContextConfig, type HostEntry, type HostRole} from './types.js'

/** A context as `context list` / `context show` print it: every field, secrets described, never shown. */
export interface ContextView {
  name: string
  current: boolean
  apiUrl: string
  apiKey: string | null
  apiSecret: string
  auth: string
  tls: string
  database: {url: string; password: string} | null
  hosts: HostEntry[]
  proxies: string[]
  backup: ContextConfig['backup'] | null
  defaultZone: string | null
  enclaves: string[]
}

export function viewContext(context: ContextConfig, currentName?: string): ContextView {
  const {api} = context
  return {
    apiKey: api.key ?? null,
    apiSecret: describeSecret(api.secret),
    apiUrl: api.url,
    auth: api.auth ?? 'body',
    backup: context.backup ?? null,
    current: context.name === currentName,
    database: context.database ? {password: describeSecret(context.database.password), url: context.database.url} : null,
    defaultZone: context.defaultZone ?? null,
    enclaves: context.enclaves ?? [],
    hosts: context.hosts ?? [],
    name: context.name,
    proxies: context.proxies ?? [],
    tls: api.tls?.insecure ? 'insecure (not verified)' : api.tls?.caFile ? `ca:${api.tls.caFile}` : 'system CAs',
  }
}

/** Adds a context; refuses to replace an existing one unless `overwrite`. */
export function addContext(loaded: LoadedConfig, context: ContextConfig, options: {overwrite?: boolean; use?: boolean}): void {
  checkContextName(context.name)
  const found = contextProblem(context)
  if (found) throw new UsageError(`${flagFor(found.path)} ${found.problem}`)
  if (!options.overwrite && loaded.file.contexts.some((c) => c.name === context.name)) {
    throw new UsageError(`context "${context.name}" already exists`, {hint: 're-run with --overwrite to replace it'})
  }

  upsertContext(loaded.file, context)
  if (options.use || !loaded.file.currentContext) loaded.file.currentContext = context.name
}

/**
 * The files a new context names must exist now: a secret file that is missing or a directory,
 * or a CA file that holds no PEM certificate, can never work. Checked before the context is saved.
 */
export async function checkContextFiles(context: ContextConfig): Promise<void> {
  const files: Array<[string | undefined, string, boolean]> = [
    [context.api.secret?.file, '--api-secret-file', false],
    [context.api.tls?.caFile, '--ca-file', true],
    [context.database?.password?.file, '--db-password-file', false],
    [context.database?.caFile, 'database.caFile', true],
  ]
  for (const [path, flag, pem] of files) {
    if (path === undefined) continue
    const problem = await readableFileProblem(path, pem)
    if (problem) throw new UsageError(`${flag} ${path} ${problem}`)
  }
}

async function readableFileProblem(path: string, pem: boolean): Promise<string | undefined> {
  try {
    if (!(await stat(path)).isFile()) return 'is not a regular file'
    const text = await readFile(path, 'utf8')
    if (pem && !text.includes('-----BEGIN CERTIFICATE-----')) return 'holds no PEM certificate (-----BEGIN CERTIFICATE-----)'
    return undefined
  } catch (error) {
    const {code} = error as NodeJS.ErrnoException
    return code === 'ENOENT' ? 'does not exist' : `cannot be read (${code ?? (error as Error).message})`
  }
}

export function useContext(loaded: LoadedConfig, name: string): void {
  findContext(loaded.file, name)
  loaded.file.currentContext = name
}

export function removeContext(loaded: LoadedConfig, name: string): void {
  findContext(loaded.file, name)
  loaded.file.contexts = loaded.file.contexts.filter((c) => c.name !== name)
  if (loaded.file.currentContext === name) delete loaded.file.currentContext
}

/**
 * Parses an inventory entry given as `name=web1,address=10.0.0.5,roles=webapp+db,ssh=root@10.0.0.5,kasm-root=/opt/kasm,url=https://...`.
 */
export function parseHostSpec(spec: string): HostEntry {
  const fields = new Map<string, string>()
  for (const part of spec.split(',')) {
    const index = part.indexOf('=')
    if (index <= 0) throw new UsageError(`--host "${spec}": "${part}" is not key=value (keys: name, address, roles, ssh, kasm-root, url)`)
    fields.set(part.slice(0, index).trim(), part.slice(index + 1).trim())
  }

  const known = ['name', 'address', 'roles', 'ssh', 'kasm-root', 'url']
  for (const key of fields.keys()) {
    if (!known.includes(key)) throw new UsageError(`--host "${spec}": unknown key "${key}" (keys: ${listValues(known)})`)
  }

  const name = fields.get('name')
  if (!name) throw new UsageError(`--host "${spec}": name= is required`)
  const roles = (fields.get('roles') ?? '').split('+').filter(Boolean) as HostRole[]
  for (const role of roles) {
    if (!HOST_ROLES.includes(role)) throw new UsageError(`--host "${spec}": role "${role}" is not one of ${listValues(HOST_ROLES)}`)
  }

  if (roles.length === 0) throw new UsageError(`--host "${spec}": roles= is required (${listValues(HOST_ROLES)}, joined with +)`)
  const url = fields.get('url')
  if (url) checkUrl(url, '--host url')
  return {
    address: fields.get('address'),
    kasmRoot: fields.get('kasm-root'),
    name,
    roles,
    ssh: fields.get('ssh'),
    url,
  }
}

/** The `context add` flag a key of a context comes from, for messages. */
const FLAG_FOR_KEY: Record<string, string> = {
  'api.key': '--api-key',
  'api.secret.env': '--api-secret-env',
  'api.secret.file': '--api-secret-file',
  'api.tls.caFile': '--ca-file',
  'api.url': '--api-url',
  'backup.dir': '--backup-dir',
  'database.password.env': '--db-password-env',
  'database.password.file': '--db-password-file',
  'database.url': '--db-url',
  defaultZone: '--default-zone',
  name: 'context name',
}

function flagFor(path: string): string {
  if (/^proxies\[/.test(path)) return '--proxy'
  if (/^hosts\[/.test(path)) return `--host ${path.replace(/^hosts\[\d+\]\./, '')}`
  return FLAG_FOR_KEY[path] ?? path
}

function checkUrl(value: string, what: string): void {
  const problem = httpUrlProblem(value)
  if (problem) throw new UsageError(`${what} ${describe(value)} ${problem}`)
}
