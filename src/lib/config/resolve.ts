import {NoContextError, UsageError, listValues} from '../errors.js'
import {describe, httpUrlProblem} from './schema.js'
import {findContext, loadConfig, type LoadedConfig} from './store.js'
import {AUTH_STYLES, type AuthStyle, type ContextConfig} from './types.js'

export interface ResolvedContext {
  context: ContextConfig
  /** Where the context came from, for `context current` and debug output. */
  source: 'env' | 'flag' | 'KASMCTL_CONTEXT' | 'current-context'
  config: LoadedConfig
  /** Warnings to show the user (config file permissions, insecure TLS). */
  warnings: string[]
}

/**
 * Picks the context for a command. Precedence: `--context`, then `KASMCTL_CONTEXT`, then
 * `KASMCTL_API_URL` (+ `KASMCTL_API_KEY`, `KASMCTL_API_SECRET`) with no config file at all,
 * then the config file's current context.
 */
export async function resolveContext(flagContext: string | undefined, env = process.env): Promise<ResolvedContext> {
  const config = await loadConfig()
  const warnings = config.permissionWarning ? [config.permissionWarning] : []
  let context: ContextConfig
  let source: ResolvedContext['source']

  if (flagContext) {
    context = findContext(config.file, flagContext)
    source = 'flag'
  } else if (env.KASMCTL_CONTEXT) {
    context = findContext(config.file, env.KASMCTL_CONTEXT)
    source = 'KASMCTL_CONTEXT'
  } else if (env.KASMCTL_API_URL) {
    context = contextFromEnv(env)
    source = 'env'
  } else if (config.file.currentContext) {
    context = findContext(config.file, config.file.currentContext)
    source = 'current-context'
  } else {
    throw new NoContextError('no context selected and no KASMCTL_API_URL set', {
      hint:
        config.file.contexts.length > 0
          ? `run \`kasmctl context use NAME\` (known: ${listValues(config.file.contexts.map((c) => c.name))})`
          : 'run `kasmctl context add` (or `kasmctl sandbox up` to try kasmctl on a local stand-in)',
    })
  }

  if (context.api.tls?.insecure) {
    warnings.push(`context "${context.name}" skips TLS certificate verification (tls.insecure: true)`)
  }

  return {config, context, source, warnings}
}

/** The env-only context for CI: no config file needed. */
export function contextFromEnv(env: NodeJS.ProcessEnv): ContextConfig {
  const auth = (env.KASMCTL_AUTH_STYLE ?? 'body') as AuthStyle
  if (!AUTH_STYLES.includes(auth)) {
    throw new UsageError(`KASMCTL_AUTH_STYLE "${auth}" is not one of ${listValues(AUTH_STYLES)}`)
  }

  const urlProblem = httpUrlProblem(env.KASMCTL_API_URL!)
  if (urlProblem) throw new UsageError(`KASMCTL_API_URL ${describe(env.KASMCTL_API_URL)} ${urlProblem}`)
  return {
    api: {
      auth,
      key: env.KASMCTL_API_KEY,
      secret: env.KASMCTL_API_SECRET === undefined ? undefined : {env: 'KASMCTL_API_SECRET'},
      tls: env.KASMCTL_CA_FILE ? {caFile: env.KASMCTL_CA_FILE} : undefined,
      url: env.KASMCTL_API_URL!,
    },
    database: env.KASMCTL_DATABASE_URL
      ? {password: env.KASMCTL_DATABASE_PASSWORD ? {env: 'KASMCTL_DATABASE_PASSWORD'} : undefined, url: env.KASMCTL_DATABASE_URL}
      : undefined,
    name: '(environment)',
  }
}
