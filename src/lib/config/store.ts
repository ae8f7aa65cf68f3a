import {readFileSync, statSync} from 'node:fs'

import {ConfigError, NotFoundError, UsageError, listValues} from '../errors.js'
import {configPath} from './paths.js'
import {configFileProblem, contextNameProblem} from './schema.js'
import type {ConfigFile, ContextConfig} from './types.js'
import {parseYamlSubset} from './yaml-subset.js'

export interface LoadedConfig {
  path: string
  file: ConfigFile
  /** Set when the file is readable by group or others. */
  permissionWarning?: string
}

/**
 * Reads the config file; a missing file is an empty config. Synchronous reads: a command's start
 * waits for the file anyway, and each asynchronous read is several round trips to the thread pool.
 */
export async function loadConfig(path = configPath()): Promise<LoadedConfig> {
  let text: string
  try {
    text = readFileSync(path, 'utf8')
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
  const mode = statSync(path).mode & 0o777
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

/** The whole file against the one schema (schema.ts): a wrong type names the file, the key path and what was expected. */
function validateConfig(raw: unknown, path: string): ConfigFile {
  const found = configFileProblem(raw)
  if (found) {
    throw new ConfigError(`config file ${path}: ${found.path} ${found.problem}`, {hint: 'fix the file, or re-add the context with `kasmctl context add`'})
  }

  const file = raw as Partial<ConfigFile>
  return {...file, contexts: file.contexts ?? []}
}

/** Validates a context name given on the command line. */
export function checkContextName(name: string): string {
  const problem = contextNameProblem(name)
  if (problem) throw new UsageError(`context name ${JSON.stringify(name.length > 80 ? `${name.slice(0, 77)}...` : name)} ${problem}`)
  return name
}
