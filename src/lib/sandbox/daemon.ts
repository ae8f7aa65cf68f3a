import {spawn} from 'node:child_process'
import {open, readFile} from 'node:fs/promises'

import {UnavailableError} from '../errors.js'
import {shippedModule} from '../shipped.js'
import type {Deployment, SandboxState} from './contract.js'
import {startControlServer} from './control.js'
import {processAlive, readState} from './state.js'

/**
 * The sandbox daemon: one detached node process that runs the deployment (simulator web apps,
 * reverse proxies, live loop) and the control API. The parent spawns it and waits for its
 * "ready" message; the daemon logs to state.daemon.logFile and exits on SIGTERM or POST /shutdown.
 */

const SELF = shippedModule('lib/sandbox/daemon')
const SIMULATOR = shippedModule('lib/sandbox/simulator/index')

interface ReadyMessage {
  ready: true
  controlPort: number
}

/** Spawns the daemon for a sandbox whose state.json is written, and waits until it serves. */
export async function spawnDaemon(state: SandboxState, timeoutMs = 20_000): Promise<{pid: number; controlPort: number}> {
  const log = await open(state.daemon.logFile, 'a', 0o600)
  // Under tsx (bin/dev.js, mocha) the loader flags must reach the child too.
  const execArgv = SELF.endsWith('.ts') && !process.execArgv.some((a) => a.includes('tsx')) ? [...process.execArgv, '--import', 'tsx'] : process.execArgv
  const child = spawn(process.execPath, [...execArgv, SELF, state.dir], {
    detached: true,
    env: {...process.env, KASMCTL_SANDBOX_DAEMON: '1'},
    stdio: ['ignore', log.fd, log.fd, 'ipc'],
  })
  await log.close()

  try {
    const message = await new Promise<ReadyMessage>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`it did not report ready within ${timeoutMs} ms`)), timeoutMs)
      child.once('message', (m) => {
        clearTimeout(timer)
        resolve(m as ReadyMessage)
      })
      child.once('exit', (code, signal) => {
        clearTimeout(timer)
        reject(new Error(`it exited (${signal ?? `code ${code}`})`))
      })
    })
    child.disconnect()
    child.unref()
    return {controlPort: message.controlPort, pid: child.pid!}
  } catch (error) {
    if (processAlive(child.pid)) child.kill('SIGKILL')
    const tail = (await readFile(state.daemon.logFile, 'utf8').catch(() => '')).trim().split('\n').slice(-8).join('\n')
    throw new UnavailableError(`the sandbox daemon did not start: ${(error as Error).message}${tail ? `\n${tail}` : ''}`, {
      hint: `its log is ${state.daemon.logFile}`,
    })
  }
}

/** The daemon's main: runs until SIGTERM / SIGINT / POST /shutdown, then closes everything and exits 0. */
async function runDaemon(dir: string): Promise<void> {
  const state = await readState(dir)
  if (!state) throw new Error(`no sandbox state in ${dir}`)
  const log = (line: string) => process.stdout.write(`${new Date().toISOString()} ${line}\n`)
  const {startDeployment} = (await import(SIMULATOR)) as {startDeployment: (o: unknown) => Promise<Deployment>}
  const deployment = await startDeployment({
    connectionProxies: state.connectionProxies,
    kasmVersion: state.kasmVersion,
    log,
    pg: {database: 'kasm', host: '127.0.0.1', password: state.postgres.kasmappPassword, port: state.postgres.port, user: 'kasmapp'},
    proxies: state.proxies,
    tls: state.tls,
    webapps: state.webapps,
  })

  let stopping = false
  const shutdown = async (why: string) => {
    if (stopping) return
    stopping = true
    log(`shutting down (${why})`)
    control.server.close()
    control.server.closeAllConnections()
    await deployment.close().catch((error: Error) => log(`close failed: ${error.message}`))
    process.exit(0)
  }

  const control = await startControlServer({
    deployment,
    onShutdown: () => void shutdown('POST /shutdown'),
    webapps: state.webapps.map((w) => w.name),
  })
  process.on('SIGTERM', () => void shutdown('SIGTERM'))
  process.on('SIGINT', () => void shutdown('SIGINT'))
  log(`ready: control API on 127.0.0.1:${control.port}; web apps ${state.webapps.map((w) => `${w.name}:${w.port}`).join(', ')}`)
  process.send?.({controlPort: control.port, ready: true} satisfies ReadyMessage)
  process.channel?.unref()
}

if (process.argv[1] === SELF && process.env.KASMCTL_SANDBOX_DAEMON === '1') {
  runDaemon(process.argv[2]).catch((error: Error) => {
    process.stderr.write(`${new Date().toISOString()} daemon failed: ${error.stack ?? error.message}\n`)
    process.exit(1)
  })
}
