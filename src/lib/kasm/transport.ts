import {Agent as HttpAgent, request as httpRequest, type IncomingMessage} from 'node:http'
import {Agent as HttpsAgent, request as httpsRequest} from 'node:https'

export interface HttpResponse {
  status: number
  body: string
}

/** The request never got an HTTP answer: refused, reset, DNS, TLS, timeout. `code` is Node's (ECONNREFUSED...). */
export class NetworkError extends Error {
  readonly code: string
  constructor(message: string, code: string) {
    super(message)
    this.name = 'NetworkError'
    this.code = code
  }
}

export interface TransportOptions {
  /** PEM CA bundle trusted for HTTPS, instead of the system CAs. */
  caPem?: string
  insecure?: boolean
  /** Whole-request timeout. */
  timeoutMs: number
}

/**
 * HTTP(S) with kept-alive connections on node:http — measured at ~3 ms to load, where axios cost
 * ~140 ms on every API command of this CLI (bench/startup.mjs). Any status is a response; only
 * transport failures throw (NetworkError). No redirects are followed.
 */
export class HttpTransport {
  private readonly http = new HttpAgent({keepAlive: true})
  private readonly https: HttpsAgent
  private readonly timeoutMs: number

  constructor(options: TransportOptions) {
    this.https = new HttpsAgent({ca: options.caPem, keepAlive: true, rejectUnauthorized: !options.insecure})
    this.timeoutMs = options.timeoutMs
  }

  request(method: 'GET' | 'POST', url: string, body?: string, headers: Record<string, string> = {}): Promise<HttpResponse> {
    const target = new URL(url)
    const secure = target.protocol === 'https:'
    const send = secure ? httpsRequest : httpRequest
    return new Promise<HttpResponse>((resolve, reject) => {
      const request = send(
        target,
        {
          agent: secure ? this.https : this.http,
          headers: body === undefined ? headers : {'Content-Length': Buffer.byteLength(body), 'Content-Type': 'application/json', ...headers},
          method,
        },
        (response: IncomingMessage) => {
          const chunks: Buffer[] = []
          response.on('data', (chunk: Buffer) => chunks.push(chunk))
          response.on('end', () => {
            clearTimeout(timer)
            resolve({body: Buffer.concat(chunks).toString('utf8'), status: response.statusCode ?? 0})
          })
          response.on('error', fail)
        },
      )
      const timer = setTimeout(() => request.destroy(new NetworkError(`timed out after ${this.timeoutMs} ms`, 'ETIMEDOUT')), this.timeoutMs)
      function fail(error: NodeJS.ErrnoException): void {
        clearTimeout(timer)
        reject(error instanceof NetworkError ? error : new NetworkError(error.message, error.code ?? 'ERR_NETWORK'))
      }

      request.on('error', fail)
      request.end(body)
    })
  }

  /** Closes kept-alive connections so the process can exit at once. */
  close(): void {
    this.http.destroy()
    this.https.destroy()
  }
}
