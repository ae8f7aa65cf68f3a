import {readFileSync} from 'node:fs'

import {ConfigError} from '../errors.js'
import type {SecretRef} from './types.js'

/** Resolves a secret reference to its value. The value is never logged. */
export async function resolveSecret(ref: SecretRef | undefined, what: string, env = process.env): Promise<string | undefined> {
  if (!ref) return undefined
  if (ref.value !== undefined) return ref.value
  if (ref.env) {
    const value = env[ref.env]
    if (value === undefined || value === '') {
      throw new ConfigError(`${what} is read from environment variable ${ref.env}, which is not set`, {
        hint: `export ${ref.env}=... or point the context at a file with \`kasmctl context add\``,
      })
    }

    return value
  }

  if (ref.file) {
    try {
      return readFileSync(ref.file, 'utf8').split('\n')[0].trim()
    } catch (error) {
      throw new ConfigError(`${what} is read from ${ref.file}, which cannot be read: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
    }
  }

  return undefined
}

/** A printable description of where a secret comes from: never the secret itself. */
export function describeSecret(ref: SecretRef | undefined): string {
  if (!ref) return '(none)'
  if (ref.env) return `env:${ref.env}`
  if (ref.file) return `file:${ref.file}`
  if (ref.value !== undefined) return '(stored in config)'
  return '(none)'
}

/** Replaces every known secret value in a text with ***. For debug output. */
export function redact(text: string, secrets: Iterable<string | undefined>): string {
  let out = text
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('***')
  }

  return out
}

/** A file the context refers to (a CA bundle); absent path → undefined; unreadable → ConfigError naming it. */
export async function readContextFile(path: string | undefined, what: string): Promise<string | undefined> {
  if (!path) return undefined
  try {
    return readFileSync(path, 'utf8')
  } catch (error) {
    throw new ConfigError(`cannot read ${what} ${path}: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`)
  }
}
