import {createPublicKey, createSign, createVerify, generateKeyPairSync, type KeyObject} from 'node:crypto'
import {readFile} from 'node:fs/promises'

import type {Deployment, DeploymentOptions, Fault} from '../contract.js'
import {asUuid, createPool} from './db.js'
import {liveTick} from './live.js'
import {type ProxyFaults, ReverseProxy} from './proxy.js'
import {WebApp} from './webapp.js'

const DEFAULT_TICK_MS = 2000
/** An agent that missed this many ticks no longer counts as checked in (never under 5 s). */
const MISSED_TICKS = 3

function base64url(value: Buffer | string): string {
  return Buffer.from(value).toString('base64url')
}

/** Same kind and target: a new fault replaces the old one. */
function sameSlot(a: Fault, b: Fault): boolean {
  return a.kind === b.kind && ('target' in a ? a.target : '') === ('target' in b ? b.target : '')
}

/**
 * Starts the simulated deployment: one Kasm web app listener per options.webapps entry, the two
 * reverse proxies and the live loop, all on one PostgreSQL pool.
 */
export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const log = options.log ?? (() => {})
  const tickMs = options.tickMs ?? DEFAULT_TICK_MS
  const db = createPool(options.pg, log)
  let faults: Fault[] = []
  let signingKey: KeyObject | undefined

  // Read each time (a tiny query, run beside the settings query): `sandbox reset` may re-create the database.
  const installationId = async (): Promise<string> => {
    const {rows} = await db.query('SELECT installation_id FROM installation LIMIT 1')
    if (!rows[0]) throw new Error('the installation table is empty')
    return rows[0].installation_id as string
  }

  // RS256, as Kasm signs agent JWTs; the key is made on first use (get_servers for one server).
  const registrationJwt = (serverId: string): string => {
    signingKey ??= generateKeyPairSync('rsa', {modulusLength: 2048}).privateKey
    const now = Math.floor(Date.now() / 1000)
    const unsigned = `${base64url(JSON.stringify({alg: 'RS256', typ: 'JWT'}))}.${base64url(
      JSON.stringify({authorizations: [70], exp: now + 3650 * 86_400, iat: now, server_id: serverId}),
    )}`
    return `${unsigned}.${base64url(createSign('RSA-SHA256').update(unsigned).sign(signingKey))}`
  }

  /** The claims of a JWT registrationJwt signed (RS256 with this deployment's key), else undefined. */
  const verifyJwt = (token: string): Record<string, unknown> | undefined => {
    const [header, payload, signature] = token.split('.')
    if (!signingKey || !header || !payload || !signature) return undefined
    const valid = createVerify('RSA-SHA256').update(`${header}.${payload}`).verify(createPublicKey(signingKey), Buffer.from(signature, 'base64url'))
    if (!valid) return undefined
    try {
      return JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as Record<string, unknown>
    } catch {
      return undefined
    }
  }

  const webappFaults = (name: string) => {
    const result: {delayMs?: number; status?: number} = {}
    for (const f of faults) {
      if (f.kind === 'webapp-status' && f.target === name) result.status = f.status
      if (f.kind === 'webapp-delay' && f.target === name) result.delayMs = f.ms
    }

    return result
  }

  const proxyFaults = (name: string): ProxyFaults => {
    const result: ProxyFaults = {}
    for (const f of faults) {
      if (!('target' in f) || f.target !== name) continue
      if (f.kind === 'proxy-down') result.down = true
      if (f.kind === 'proxy-delay') result.delayMs = f.ms
      if (f.kind === 'proxy-strip-upgrade') result.stripUpgrade = true
      if (f.kind === 'proxy-idle-timeout') result.idleSeconds = f.seconds
    }

    return result
  }

  const apiDown = () => faults.some((f) => f.kind === 'api-down')

  const shared = {
    autoscaleLicensed: () => !faults.some((f) => f.kind === 'autoscale-unlicensed'),
    checkinWindowMs: Math.max(5000, MISSED_TICKS * tickMs),
    db,
    faultsFor: webappFaults,
    installationId,
    log,
    registrationJwt,
    verifyJwt,
    version: options.kasmVersion,
  }
  const webapps = new Map(options.webapps.map((w) => [w.name, new WebApp(w, shared)]))
  const tlsFiles = await Promise.all([readFile(options.tls.certFile, 'utf8'), readFile(options.tls.keyFile, 'utf8')])
  const proxies = new Map(
    options.proxies.map((p) => [
      p.name,
      new ReverseProxy({
        ...p,
        faults: () => proxyFaults(p.name),
        log,
        tls: p.scheme === 'https' ? {cert: tlsFiles[0], key: tlsFiles[1]} : undefined,
        upstreams: () => [...webapps.values()].filter((w) => w.running).map((w) => w.port),
      }),
    ]),
  )

  // Guac proxies check in as the id in their kasmguac.app.config.yaml (kasmguac.id).
  const connectionProxyIds = (
    await Promise.all(
      options.connectionProxies.map(async (c) => {
        try {
          const {parse} = await import('yaml')
          const config = parse(await readFile(c.configPath, 'utf8')) as {kasmguac?: {id?: string}}
          return asUuid(config?.kasmguac?.id)
        } catch {
          log(`${c.name}: cannot read ${c.configPath}; it will not check in`)
          return undefined
        }
      }),
    )
  ).filter((id): id is string => Boolean(id))

  // Ticks run one after another; tick() always runs one that starts after the call, so a test that
  // changed the database and then ticks sees the loop act on its change.
  let queue: Promise<void> = Promise.resolve()
  let pending = 0
  const runTick = async (): Promise<void> => {
    // Check-ins go to a web app's API, and expiry and autoscaling are its manager's work: with every
    // web app stopped (bin/stop on each, as a restore does) nothing writes to the database.
    if (![...webapps.values()].some((w) => w.running)) return
    const {destroyed} = await liveTick(db, {
      autoscale: {checkinJwt: registrationJwt, log},
      connectionProxyIds,
      managerIds: [...webapps.values()].filter((w) => w.running && w.managerId).map((w) => w.managerId as string),
      silentAgents: faults.flatMap((f) => (f.kind === 'agent-no-checkin' ? [f.target] : [])),
    })
    if (destroyed) log(`live loop: ${destroyed} session(s) destroyed`)
  }

  const tick = (): Promise<void> => {
    const run = queue.catch(() => {}).then(runTick)
    queue = run
    pending++
    run.finally(() => pending--).catch(() => {})
    return run
  }

  const findWebapp = (name: string): WebApp => {
    const webapp = webapps.get(name)
    if (!webapp) throw new Error(`unknown web app "${name}": the sandbox has ${[...webapps.keys()].join(', ')}`)
    return webapp
  }

  const findProxy = (name: string): ReverseProxy => {
    const proxy = proxies.get(name)
    if (!proxy) throw new Error(`unknown proxy "${name}": the sandbox has ${[...proxies.keys()].join(', ')}`)
    return proxy
  }

  /** Brings listeners and config files in line with the current faults. */
  const applyFaults = async (): Promise<void> => {
    await Promise.all([...webapps.values()].map((w) => (w.running && !apiDown() ? w.listen() : w.unlisten())))
    await Promise.all(
      [...proxies.values()].map(async (p) => {
        const f = proxyFaults(p.name)
        await (f.down ? p.close() : p.listen())
        await (f.idleSeconds ? p.writeIdleTimeout(f.idleSeconds) : p.restoreConfig())
      }),
    )
  }

  const closeAll = async (): Promise<void> => {
    await Promise.all([...webapps.values()].map((w) => w.stop()))
    await Promise.all([...proxies.values()].map(async (p) => {
      await p.close()
      await p.restoreConfig()
    }))
  }

  try {
    for (const webapp of webapps.values()) await webapp.start(true)
    await Promise.all([...proxies.values()].map((p) => p.listen()))
    await tick()
  } catch (error) {
    await closeAll()
    await db.end()
    throw error
  }

  const timer = setInterval(() => {
    // The timer never piles ticks up behind a slow one.
    if (pending === 0) tick().catch((error: Error) => log(`live loop: ${error.message}`))
  }, tickMs)
  timer.unref()

  return {
    async clearFaults() {
      faults = []
      await applyFaults()
    },

    async close() {
      clearInterval(timer)
      await queue.catch(() => {})
      await closeAll()
      await db.end()
    },

    faults() {
      return faults.map((f) => ({...f}))
    },

    async setFault(fault) {
      if ('target' in fault) {
        if (fault.kind.startsWith('webapp-')) findWebapp(fault.target)
        if (fault.kind.startsWith('proxy-')) findProxy(fault.target)
        if (fault.kind === 'agent-no-checkin') {
          const {rows} = await db.query(`SELECT hostname FROM servers WHERE server_type = 'host' ORDER BY hostname`)
          if (!rows.some((r) => r.hostname === fault.target)) {
            throw new Error(`unknown agent "${fault.target}": the sandbox has ${rows.map((r) => r.hostname).join(', ')}`)
          }
        }
      }

      if (fault.kind === 'webapp-status' && !(Number.isInteger(fault.status) && fault.status >= 400 && fault.status <= 599)) {
        throw new Error(`webapp-status needs an HTTP error status (400-599), not ${fault.status}`)
      }

      const amount = fault.kind === 'proxy-idle-timeout' ? fault.seconds : 'ms' in fault ? fault.ms : 1
      if (!(typeof amount === 'number' && amount > 0)) throw new Error(`${fault.kind} needs a positive ${'ms' in fault ? 'ms' : 'seconds'} value`)
      faults = [...faults.filter((f) => !sameSlot(f, fault)), fault]
      await applyFaults()
      log(`fault set: ${JSON.stringify(fault)}`)
    },

    async startWebapp(name) {
      const webapp = findWebapp(name)
      await webapp.start(!apiDown())
      log(`${name}: started (zone "${webapp.zoneName}")`)
    },

    async stopWebapp(name) {
      await findWebapp(name).stop()
      log(`${name}: stopped`)
    },

    tick,

    webappRunning(name) {
      return findWebapp(name).running
    },
  }
}
