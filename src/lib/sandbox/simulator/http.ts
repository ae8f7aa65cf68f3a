import type {IncomingMessage, ServerResponse} from 'node:http'

/** Kasm's sanitised framework error pages (kasm-api.md §3): plain text/HTML, never JSON. */
export const UNHANDLED_PAGE = '<html><body>An unhandled exception occurred check logs for details<body><html>'

export function errorPage(status: number): string {
  return status === 500 ? UNHANDLED_PAGE : `An error has occurred ${status} - see logs for details`
}

/**
 * What a handler throws to answer with something other than its success body:
 * a business error (HTTP 200 + error_message), an auth error, or a framework page.
 */
export class KasmReply extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown> | string,
  ) {
    super(typeof body === 'string' ? body : String(body.error_message))
  }
}

/** Business errors are HTTP 200 with {"error_message": ...}. */
export function businessError(message: string): KasmReply {
  return new KasmReply(200, {error_message: message})
}

export function statusError(status: number, message: string): KasmReply {
  return new KasmReply(status, {error_message: message})
}

/** What Kasm answers when the handler raises (bad types reaching the database, constraint violations). */
export function unhandled(): KasmReply {
  return new KasmReply(500, UNHANDLED_PAGE)
}

export function sendJson(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {'Content-Length': Buffer.byteLength(text), 'Content-Type': 'application/json'})
  res.end(text)
}

export function sendText(res: ServerResponse, status: number, text: string, contentType = 'text/html;charset=utf-8'): void {
  res.writeHead(status, {'Content-Length': Buffer.byteLength(text), 'Content-Type': contentType})
  res.end(text)
}

export function sendPage(res: ServerResponse, status: number): void {
  sendText(res, status, errorPage(status))
}

export function sendReply(res: ServerResponse, reply: KasmReply): void {
  if (typeof reply.body === 'string') sendText(res, reply.status, reply.body)
  else sendJson(res, reply.status, reply.body)
}

const MAX_BODY = 1024 * 1024

export async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = []
  let size = 0
  for await (const chunk of req) {
    size += (chunk as Buffer).length
    if (size > MAX_BODY) throw new KasmReply(413, errorPage(413))
    chunks.push(chunk as Buffer)
  }

  return Buffer.concat(chunks)
}
