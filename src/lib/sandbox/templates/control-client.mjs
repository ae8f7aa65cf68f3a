// kasmctl sandbox: what /opt/kasm/bin/start and bin/stop run. Asks the sandbox daemon (its control
// API on 127.0.0.1) to start or stop this host's service. Usage: node control-client.mjs <state.json> <start|stop> <webapp>
import {readFileSync} from 'node:fs'
import {request} from 'node:http'

const [statePath, action, name] = process.argv.slice(2)
let port
try {
  port = JSON.parse(readFileSync(statePath, 'utf8')).daemon.controlPort
} catch (error) {
  console.error(`kasm ${action}: the sandbox is not set up (${error.message}); run \`kasmctl sandbox up\``)
  process.exit(1)
}

const req = request({host: '127.0.0.1', method: 'POST', path: `/webapps/${encodeURIComponent(name)}/${action}`, port, timeout: 30000}, (res) => {
  let body = ''
  res.setEncoding('utf8').on('data', (chunk) => (body += chunk))
  res.on('end', () => {
    if (res.statusCode === 200) {
      console.log(`kasm ${action}: ${name} ${action === 'stop' ? 'stopped' : 'started'}`)
      return
    }

    let message = body
    try {
      message = JSON.parse(body).error ?? body
    } catch {
      // not JSON: show the body as it is
    }
    console.error(`kasm ${action}: ${name}: ${message}`)
    process.exitCode = 1
  })
})
req.on('timeout', () => req.destroy(new Error('no answer within 30 s')))
req.on('error', (error) => {
  console.error(`kasm ${action}: the sandbox daemon is not reachable on 127.0.0.1:${port} (${error.message}); run \`kasmctl sandbox up\``)
  process.exitCode = 1
})
req.end()
