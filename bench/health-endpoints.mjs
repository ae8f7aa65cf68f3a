// A separate process serving the health benchmark's endpoints on 127.0.0.1: one listener each,
// answering GET /api/__healthcheck with {"ok": true} after a fixed delay (5-50 ms, one at 300 ms),
// plus one that accepts requests and never answers. Prints [{url, delayMs, hung}] on stdout.
import {createServer} from 'node:http'

const count = Number(process.argv[2] ?? 200)
const SLOWEST_MS = 300

function listen(handler) {
  const server = createServer({keepAliveTimeout: 60_000}, handler)
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => resolve(`http://127.0.0.1:${server.address().port}`))
  })
}

const endpoints = []
for (let i = 0; i < count; i++) {
  // Spread deterministically over 5-50 ms (mean 27.5 ms, as in performance-notes.md §3). The slow one sits
  // mid-list: checks start in list order, so at the very end it would wait for ~3/4 of N·mean/C (≈ 80 ms) first.
  const delayMs = i === Math.floor(count / 2) ? SLOWEST_MS : 5 + ((i * 37) % 46)
  const url = await listen((req, res) => {
    setTimeout(() => {
      res.writeHead(200, {'Content-Type': 'application/json'})
      res.end('{"ok": true}')
    }, delayMs)
  })
  endpoints.push({delayMs, hung: false, url})
}

endpoints.push({delayMs: null, hung: true, url: await listen(() => {})})
process.stdout.write(`${JSON.stringify(endpoints)}\n`)
