import {createHash} from 'node:crypto'
import type {IncomingMessage} from 'node:http'
import type {Duplex} from 'node:stream'

const GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11'

/** Sec-WebSocket-Accept for a client's Sec-WebSocket-Key (RFC 6455 §4.2.2). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + GUID).digest('base64')
}

export function isWebSocketRequest(req: IncomingMessage): boolean {
  return (
    (req.headers.upgrade ?? '').toLowerCase() === 'websocket' &&
    /\bupgrade\b/i.test(req.headers.connection ?? '') &&
    typeof req.headers['sec-websocket-key'] === 'string'
  )
}

/**
 * Completes the handshake and keeps the connection open, idle, as a desktop stream would between
 * frames. A close frame from the client is answered with a close frame, then the socket ends.
 */
export function acceptWebSocket(req: IncomingMessage, socket: Duplex): void {
  socket.write(
    [
      'HTTP/1.1 101 Switching Protocols',
      'Upgrade: websocket',
      'Connection: Upgrade',
      `Sec-WebSocket-Accept: ${acceptKey(req.headers['sec-websocket-key'] as string)}`,
      '',
      '',
    ].join('\r\n'),
  )
  socket.on('data', (chunk: Buffer) => {
    // Opcode 0x8 = close; answer with an empty close frame.
    if (chunk.length > 0 && (chunk[0] & 0x0f) === 0x8) socket.end(Buffer.from([0x88, 0x00]))
  })
  socket.on('error', () => socket.destroy())
}

/** Writes a plain HTTP response on a socket that asked for an upgrade, then closes it. */
export function refuseUpgrade(socket: Duplex, status: number, reason: string, body: string): void {
  socket.end(
    `HTTP/1.1 ${status} ${reason}\r\nContent-Type: text/html;charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  )
}
