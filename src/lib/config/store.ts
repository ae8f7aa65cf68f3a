import {readFile, stat} from 'node:fs/promises'

import {ConfigError, NotFoundError, UsageError, listValues} from '../errors.js'
import {configPath} from './paths.js'
import {AUTH_STYLES, type ConfigFile, type ContextConfig, HOST_ROLES} from './types.js'
import {parseYamlSubset} from './yaml-subset.js'

export interface LoadedConfig {
  path: string
  file: ConfigFile
  /** Set when the file is readable by group or others. */
  permissionWarning?: string
}

/** Reads the config file; a missing file is an empty config. */
export async function loadConfig(path = configPath()): Promise<LoadedConfig> {
  let text: string
  try {
    text = await readFile(path, 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {file: {contexts: []}, path}
    throw new ConfigError(`cannot read config file ${path}: ${(error as Error).message}`)
  }

  // The `yaml` library costs 30-50 ms to load: it reads only what the small reader declines.
  let raw = parseYamlSubset(text)
  if (raw === undefined) {
    try {
      const {parse} = await import('yaml')
      raw = parse(text)
    } catch (error) {
      throw new ConfigError(`config file ${path} is not valid YAML: ${(error as Error).message}`, {
        hint: `fix the file by hand, or move it away and run \`kasmctl context add\``,
      })
    }
  }

  const file = validateConfig(raw ?? {}, path)
  const mode = (await stat(path)).mode & 0o777
  const permissionWarning =
    mode & 0o077
      ? `config file ${path} is readable by others (mode ${mode.toString(8).padStart(4, '0')}); it may hold secrets: run \`chmod 600 ${path}\``
      : undefined
  return {file, path, permissionWarning}
}

/** Writes the config atomically with mode 0600. */
export async function saveConfig(loaded: LoadedConfig): Promise<void> {
  // Only writers pay for yaml and fs-util (which loads node:crypto): reading a context is on every command's start.
  const [{stringify}, {writeFileAtomic}] = await Promise.all([import('yaml'), import('../fs-util.js')])
  await writeFileAtomic(loaded.path, stringify(loaded.file, {lineWidth: 0}), 0o600)
}

export function findContext(file: ConfigFile, name: string): ContextConfig {
  const context = file.contexts.find((c) => c.name === name)
  if (!context) {
    const names = file.contexts.map((c) => c.name)
    throw new NotFoundError(`context "${name}" does not exist`, {
      hint: names.length > 0 ? `known contexts: ${listValues(names)}` : 'run `kasmctl context add` or `kasmctl sandbox up`',
    })
  }

  return context
}

/** Adds or replaces a context by name. */
export function upsertContext(file: ConfigFile, context: ContextConfig): void {
  const index = file.contexts.findIndex((c) => c.name === context.name)
  if (index === -1) file.contexts.push(context)
  else file.contexts[index] = context
}

function validateConfig(raw: unknown, path: string): ConfigFile {
  const fail = (what: string): never => {
    throw new ConfigError(`config file ${path}: ${what}`, {hint: 'fix the file, or re-add the context with `kasmctl context add`'})
  }

  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('expected a mapping at the top level')
  const object = raw as Record<string, unknown>
  const contexts = object.contexts ?? []
  if (!Array.isArray(contexts)) fail('`contexts` must be a list')
  for (const [index, context] of (contexts as unknown[]).entries()) {
    validateContext(context, (what) => fail(`contexts[${index}]: ${what}`))
  }

  if (object.currentContext !== undefined && typeof object.currentContext !== 'string') fail('`currentContext` must be a string')
  return {contexts: contexts as ContextConfig[], currentContext: object.currentContext as string | undefined}
}

function validateContext(raw: unknown, fail: (what: string) => never): void {
  if (typeof raw !== 'object' || raw === null) fail('expected a mapping')
  const context = raw as Partial<ContextConfig>
  if (typeof context.name !== 'string' || context.name.trim() === '') fail('`name` must be a non-empty string')
  if (typeof context.api !== 'object' || context.api === null || typeof context.api.url !== 'string') fail('`api.url` is required')
  if (context.api.auth !== undefined && !AUTH_STYLES.includes(context.api.auth)) {
    fail(`api.auth "${context.api.auth}" is not one of ${listValues(AUTH_STYLES)}`)
  }

  for (const host of context.hosts ?? []) {
    if (typeof host?.name !== 'string') fail('every host needs a `name`')
    for (const role of host.roles ?? []) {
      if (!HOST_ROLES.includes(role)) fail(`host ${host.name}: role "${role}" is not one of ${listValues(HOST_ROLES)}`)
    }
  }
}

/** Validates a context name given on the command line. */
export function checkContextName(name: string): string {
  if (!/^[\w.@-]+$/.test(name)) {
    throw new UsageError(`context name "${name}" is not valid: use letters, digits, '.', '_', '@' or '-'`)
  }

  return name
}
