import {databaseUrlProblem as postgresUrlProblem} from '../db/url.js'
import {listValues} from '../errors.js'
import {hasControlCharacter} from '../text.js'
import {AUTH_STYLES, HOST_ROLES, type ConfigFile, type ContextConfig} from './types.js'

/**
 * The one schema of the config file. Every value read from the file (and every context
 * `context add` builds) is checked against it, so that a wrong type is an error naming the key
 * path and what was expected, never a JavaScript error later. Keys the schema does not know are
 * left alone (a newer kasmctl may have written them): declare new keys here.
 */
type Schema =
  | {type: 'array'; items: Schema}
  | {type: 'boolean'}
  | {type: 'enum'; values: readonly string[]}
  | {type: 'integer'; min: number; max: number}
  | {type: 'object'; fields: Record<string, Field>}
  | {type: 'string'; check?: (value: string) => string | undefined}

type Field = Schema & {required?: boolean}

/** Context names become directory names (drain records, rotations): one safe pattern, a length limit. */
const CONTEXT_NAME_PATTERN = /^[A-Za-z0-9][\w.@-]*$/
const CONTEXT_NAME_MAX = 63

export function contextNameProblem(name: string): string | undefined {
  if (name.length > CONTEXT_NAME_MAX) return `is ${name.length} characters long: at most ${CONTEXT_NAME_MAX}`
  if (!CONTEXT_NAME_PATTERN.test(name)) return "is not a valid context name: start with a letter or digit, then letters, digits, '.', '_', '@' or '-'"
  return undefined
}

/** The URL, or what is wrong with it (`example` shows a good one). */
function parseUrl(value: string, example: string): URL | string {
  try {
    return new URL(value)
  } catch {
    return `is not a URL: expected e.g. ${example}`
  }
}

/** What is wrong with an http(s) URL for the API, a proxy or a host, if anything. */
export function httpUrlProblem(value: string): string | undefined {
  const url = parseUrl(value, 'https://kasm.example.com')
  if (typeof url === 'string') return url
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return `must use http or https, not ${url.protocol.replace(':', '')}`
  if (url.username || url.password) return 'must not carry credentials in the URL: pass the API key with --api-key and the secret with --api-secret-*'
  return undefined
}

/** What is wrong with a context's database URL, if anything: a valid postgres URL, and never a password in it. */
function databaseUrlProblem(value: string): string | undefined {
  const problem = postgresUrlProblem(value)
  if (problem) return problem
  if (new URL(value).password) return 'must not carry a password (it would be stored and shown in plain text): use --db-password-env or --db-password-file'
  return undefined
}

const nonEmpty = (value: string) => (value.trim() === '' ? 'must not be empty' : undefined)
const noControl = (value: string) => (hasControlCharacter(value) ? 'must not contain control characters' : undefined)
const text = (max = 4096): Schema => ({check: (v) => nonEmpty(v) ?? noControl(v) ?? (v.length > max ? `is longer than ${max} characters` : undefined), type: 'string'})
const ENV_NAME = /^[A-Za-z_]\w*$/
const secretRef: Schema = {
  fields: {
    env: {check: (v) => (ENV_NAME.test(v) ? undefined : 'is not an environment variable name (letters, digits and _, not starting with a digit)'), type: 'string'},
    file: text(),
    value: {type: 'string'},
  },
  type: 'object',
}

const contextSchema: Schema = {
  fields: {
    api: {
      fields: {
        auth: {type: 'enum', values: AUTH_STYLES},
        key: text(),
        secret: secretRef,
        timeoutMs: {max: 2 ** 31 - 1, min: 1, type: 'integer'},
        tls: {fields: {caFile: text(), insecure: {type: 'boolean'}}, type: 'object'},
        url: {check: httpUrlProblem, required: true, type: 'string'},
      },
      required: true,
      type: 'object',
    },
    backup: {
      fields: {
        dir: {...text(), required: true},
        keep: {max: 100_000, min: 1, type: 'integer'},
        keepDays: {max: 36_500, min: 1, type: 'integer'},
        minKeep: {max: 100_000, min: 0, type: 'integer'},
      },
      type: 'object',
    },
    database: {fields: {caFile: text(), password: secretRef, url: {check: databaseUrlProblem, required: true, type: 'string'}}, type: 'object'},
    defaultZone: text(256),
    enclaves: {items: text(256), type: 'array'},
    hosts: {
      items: {
        fields: {
          address: text(),
          kasmRoot: {check: (v) => (v.startsWith('/') ? noControl(v) : 'must be an absolute path, e.g. /opt/kasm'), type: 'string'},
          name: {...text(256), required: true},
          roles: {items: {type: 'enum', values: HOST_ROLES}, required: true, type: 'array'},
          ssh: text(),
          sshOptions: {items: {type: 'string'}, type: 'array'},
          url: {check: httpUrlProblem, type: 'string'},
        },
        type: 'object',
      },
      type: 'array',
    },
    name: {check: contextNameProblem, required: true, type: 'string'},
    proxies: {items: {check: httpUrlProblem, type: 'string'}, type: 'array'},
    sandbox: {type: 'boolean'},
  },
  type: 'object',
}

const fileSchema: Schema = {
  fields: {
    contexts: {items: contextSchema, type: 'array'},
    currentContext: {check: contextNameProblem, type: 'string'},
  },
  type: 'object',
}

/** A problem found: where (`contexts[0].api.url`), and what is wrong. */
export interface SchemaProblem {
  path: string
  problem: string
}

/** The first problem of a whole config file, or undefined when it matches the schema. */
export function configFileProblem(raw: unknown): SchemaProblem | undefined {
  const problem = check(raw, fileSchema, '')
  if (problem) return problem
  const names = ((raw as ConfigFile).contexts ?? []).map((c) => c.name)
  const twice = names.find((name, index) => names.indexOf(name) !== index)
  return twice === undefined ? undefined : {path: 'contexts', problem: `name "${twice}" is used by two contexts`}
}

/** The first problem of one context (as `context add` builds it), or undefined. */
export function contextProblem(context: ContextConfig): SchemaProblem | undefined {
  return check(context, contextSchema, '')
}

function check(value: unknown, schema: Field, path: string): SchemaProblem | undefined {
  const fail = (problem: string): SchemaProblem => ({path: path || '(top level)', problem})
  switch (schema.type) {
    case 'array': {
      if (!Array.isArray(value)) return fail(`expected a list, got ${describe(value)}`)
      for (const [index, item] of value.entries()) {
        const problem = check(item, schema.items, `${path}[${index}]`)
        if (problem) return problem
      }

      return undefined
    }

    case 'boolean': {
      return typeof value === 'boolean' ? undefined : fail(`expected true or false, got ${describe(value)}`)
    }

    case 'enum': {
      return typeof value === 'string' && schema.values.includes(value) ? undefined : fail(`expected one of ${listValues(schema.values)}, got ${describe(value)}`)
    }

    case 'integer': {
      if (typeof value !== 'number' || !Number.isInteger(value)) return fail(`expected a whole number, got ${describe(value)}`)
      return value < schema.min || value > schema.max ? fail(`expected a number from ${schema.min} to ${schema.max}, got ${value}`) : undefined
    }

    case 'object': {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) return fail(`expected a mapping, got ${describe(value)}`)
      for (const [key, field] of Object.entries(schema.fields)) {
        const child = (value as Record<string, unknown>)[key]
        const childPath = path ? `${path}.${key}` : key
        if (child === undefined || child === null) {
          if (field.required) return {path: childPath, problem: 'is required'}
          continue
        }

        const problem = check(child, field, childPath)
        if (problem) return problem
      }

      return undefined
    }

    case 'string': {
      if (typeof value !== 'string') return fail(`expected a string, got ${describe(value)}`)
      const problem = schema.check?.(value)
      return problem ? fail(`${describe(value)} ${problem}`) : undefined
    }
  }
}

/** A value as a message shows it: short, and a password inside a URL masked. */
export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'nothing'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'a mapping'
  const shown = JSON.stringify(typeof value === 'string' ? value.replace(/(\/\/[^/:@\s]*:)[^@/\s]*@/, '$1***@') : value)
  return shown.length > 80 ? `${shown.slice(0, 77)}..."` : shown
}
