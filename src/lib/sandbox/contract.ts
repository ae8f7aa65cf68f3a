/**
 * The contract between the sandbox's two halves: the lifecycle (PostgreSQL, seed, host directories,
 * daemon process, control API, `kasmctl sandbox` commands) and the deployment it runs (API simulator
 * web apps, reverse proxies, live loop, faults). Both import these types; neither changes them alone.
 */
import type {KasmVersion} from '../kasm/version.js'

export interface PgConnection {
  host: string
  port: number
  database: string
  user: string
  password: string
}

/** Written by `sandbox up` to <sandbox dir>/state.json (mode 0600). */
export interface SandboxState {
  dir: string
  /** Kasm version the sandbox imitates: its schema (schema.ts), seed and API shapes ('1.19' emits memory_bytes). */
  kasmVersion: KasmVersion
  postgres: {
    binDir: string
    dataDir: string
    socketDir: string
    port: number
    /** The superuser kasmctl tests and `sandbox reset` use (trust auth on 127.0.0.1). */
    superuser: string
    /** The kasmapp password (also in each web app's api.app.config.yaml `database:` block). */
    kasmappPassword: string
    pid?: number
  }
  daemon: {pid?: number; controlPort: number; logFile: string}
  webapps: Array<{name: string; port: number; hostDir: string; configPath: string}>
  connectionProxies: Array<{name: string; hostDir: string; configPath: string}>
  proxies: Array<{name: string; scheme: 'http' | 'https'; port: number; configPath: string}>
  tls: {caFile: string; certFile: string; keyFile: string}
  apiKeys: {
    admin: {key: string; secretFile: string}
    readonly: {key: string; secretFile: string}
    /** A key with only ZONES_VIEW, to exercise "lacks permission" errors. */
    limited: {key: string; secretFile: string}
    /** The VIEW permissions health and agent commands read (sessions, images, managers, zones, connection proxies, servers) but not AGENTS_VIEW (500): get_servers hides every agent. */
    noagents: {key: string; secretFile: string}
  }
}

/** Faults for tests and rehearsals (`kasmctl sandbox fault`). Cleared by `sandbox reset`. */
export type Fault =
  /** The web app's /api/* answers this HTTP status with Kasm's text page (500 → unhandled exception page). */
  | {kind: 'webapp-status'; target: string; status: number}
  /** The web app answers after a delay. */
  | {kind: 'webapp-delay'; target: string; ms: number}
  /** Every web app refuses connections (listeners closed) until cleared: "API down". */
  | {kind: 'api-down'}
  /** The reverse proxy refuses connections. */
  | {kind: 'proxy-down'; target: string}
  | {kind: 'proxy-delay'; target: string; ms: number}
  /** The proxy drops Upgrade/Connection headers: WebSocket handshakes fail. */
  | {kind: 'proxy-strip-upgrade'; target: string}
  /** The proxy closes idle connections after this many seconds (also written to its nginx-style config). */
  | {kind: 'proxy-idle-timeout'; target: string; seconds: number}
  /** The agent (server hostname) stops checking in: last_reported stops moving. */
  | {kind: 'agent-no-checkin'; target: string}
  /** The licence lacks Auto Scaling: pool and autoscale calls answer 403 "Access Denied. Auto Scaling is not licensed". */
  | {kind: 'autoscale-unlicensed'}

export interface DeploymentOptions {
  pg: PgConnection
  webapps: SandboxState['webapps']
  connectionProxies: SandboxState['connectionProxies']
  proxies: SandboxState['proxies']
  tls: SandboxState['tls']
  kasmVersion: SandboxState['kasmVersion']
  /** How often agents check in and sessions expire, in ms (default 2000). */
  tickMs?: number
  log?: (line: string) => void
}

/** What the daemon runs. Implemented by src/lib/sandbox/simulator/. */
export interface Deployment {
  /** Like /opt/kasm/bin/stop on that host: closes the web app's listener; its manager stops checking in. */
  stopWebapp(name: string): Promise<void>
  /** Like /opt/kasm/bin/start: re-reads api.app.config.yaml (zone_name; unknown zone → new zone) and listens again. */
  startWebapp(name: string): Promise<void>
  webappRunning(name: string): boolean
  setFault(fault: Fault): Promise<void>
  clearFaults(): Promise<void>
  faults(): Fault[]
  /** Runs one live-loop tick now (check-ins, expiry). */
  tick(): Promise<void>
  close(): Promise<void>
}

/** The daemon's control API on 127.0.0.1:<daemon.controlPort> (JSON bodies). */
export const CONTROL_ROUTES = {
  status: 'GET /status', // → {webapps: {name: running}, faults: Fault[]}
  stopWebapp: 'POST /webapps/:name/stop',
  startWebapp: 'POST /webapps/:name/start',
  setFault: 'POST /faults', // body: Fault
  clearFaults: 'DELETE /faults',
  tick: 'POST /tick',
  shutdown: 'POST /shutdown',
} as const

/** The kinds `sandbox fault` takes: the deployment's faults plus db-stop / db-start (here, not in control.ts, so
 *  the command's flags load no node:http). */
export const FAULT_KINDS = [
  'webapp-status',
  'webapp-delay',
  'api-down',
  'proxy-down',
  'proxy-delay',
  'proxy-strip-upgrade',
  'proxy-idle-timeout',
  'agent-no-checkin',
  'autoscale-unlicensed',
  'db-stop',
  'db-start',
] as const
export type FaultKind = (typeof FAULT_KINDS)[number]

/** Ranges of the fault flags: the command's flags and buildFault (for other callers) check the same ones. */
export const FAULT_FLAG_RANGES = {ms: {max: 600_000, min: 0}, seconds: {max: 86_400, min: 1}, status: {max: 599, min: 100}} as const
