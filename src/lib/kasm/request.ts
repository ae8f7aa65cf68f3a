import {readContextFile, resolveSecret} from '../config/secrets.js'
import type {AuthStyle, ContextConfig} from '../config/types.js'
import {ConfigError} from '../errors.js'

/**
 * What a request to Kasm's API is made of, apart from sending it: the client (client.ts) and the
 * early reads (early-send.ts) build their requests here, so that both send the same bytes and the
 * client can recognise an answer asked early by its key. Small on purpose: the early reads load it
 * before oclif, where every module costs start-up time.
 */
export interface KasmClientOptions {
  /** Kasm base URL, e.g. https://kasm.example.com (a trailing /api is tolerated). */
  url: string
  apiKey: string
  apiSecret: string
  auth?: AuthStyle
  caPem?: string
  insecure?: boolean
  timeoutMs?: number
  /** Attempts after the first one, for reads only. */
  retries?: number
  /** Base delay of the exponential backoff between read retries. */
  retryDelayMs?: number
  /** Receives one line per request; secrets are never passed to it. */
  debug?: (line: string) => void
}

export type Body = Record<string, unknown>

/** A request's whole time, when the context sets none. */
export const DEFAULT_TIMEOUT_MS = 15_000

/** A call's URL, body and headers (credentials included), and its key. */
export interface PreparedRequest {
  key: string
  url: string
  body: string
  headers: Record<string, string>
}

/** The client options of a context: resolves the secret reference and reads the CA file. */
export async function clientOptionsFromContext(context: ContextConfig): Promise<KasmClientOptions> {
  const {api} = context
  if (!api.key) {
    throw new ConfigError(`context "${context.name}" has no API key`, {hint: `run \`kasmctl context add ${context.name} --api-key KEY ...\``})
  }

  const secret = await resolveSecret(api.secret, `API secret of context "${context.name}"`)
  if (!secret) {
    throw new ConfigError(`context "${context.name}" has no API secret`, {
      hint: 'pass it with `--api-secret-stdin`, `--api-secret-env NAME` or `--api-secret-file PATH` to `kasmctl context add`',
    })
  }

  const caPem = await readContextFile(api.tls?.caFile, `CA file of context "${context.name}"`)
  return {apiKey: api.key, apiSecret: secret, auth: api.auth ?? 'body', caPem, insecure: api.tls?.insecure, timeoutMs: api.timeoutMs, url: api.url}
}

/** Kasm's base URL from the context's: a trailing slash or /api is dropped. */
export function kasmBaseUrl(url: string): string {
  return url.replace(/\/+$/, '').replace(/\/api$/, '')
}

/**
 * The request for /api/public/<method>, and its key: everything that shapes its answer, TLS trust
 * and how long it may take included (a client with a shorter timeout must not wait longer).
 */
export function prepareRequest(options: KasmClientOptions, method: string, body: Body = {}): PreparedRequest {
  const url = `${kasmBaseUrl(options.url)}/api/public/${method}`
  const auth = options.auth ?? 'body'
  const sent = JSON.stringify(auth === 'body' ? {...body, api_key: options.apiKey, api_key_secret: options.apiSecret} : body)
  const headers = authHeaders(options)
  const key = JSON.stringify([url, sent, headers, options.caPem ?? null, Boolean(options.insecure), options.timeoutMs ?? null])
  return {body: sent, headers, key, url}
}

function authHeaders(options: KasmClientOptions): Record<string, string> {
  switch (options.auth ?? 'body') {
    case 'basic': {
      return {Authorization: `Basic ${Buffer.from(`${options.apiKey}:${options.apiSecret}`).toString('base64')}`}
    }

    case 'headers': {
      return {'api-key': options.apiKey, 'api-key-secret': options.apiSecret}
    }

    default: {
      return {}
    }
  }
}
