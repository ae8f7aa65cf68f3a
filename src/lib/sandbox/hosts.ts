import {createHash} from 'node:crypto'
import {chmod, copyFile, mkdir, readFile, rm, symlink, writeFile} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {KASM_RELEASES, type KasmVersion} from '../kasm/version.js'
import {shellQuote} from '../remote/shell.js'
import {shippedFile} from '../shipped.js'
import type {SandboxState} from './contract.js'
import {CONNECTION_PROXIES, WEBAPPS, type SeedResult} from './seed.js'
import {statePath} from './state.js'

/**
 * The sandbox's host directories, laid out like a Kasm install (kasm-hosts.md §1-2):
 * hosts/<name>/opt/kasm/{<version>/, current -> <version>, bin -> current/bin}.
 */

const TEMPLATES = (name: string): string => shippedFile(`lib/sandbox/templates/${name}`)
export const DB_HOST = 'db-1'
/**
 * An all-in-one (single-server) install: its services are the sandbox's web apps and its database.
 * Not in the `sandbox` context (its web apps are already there as webapp-1/2); tests that need a
 * single-server host name it in their own context.
 */
export const SINGLE_SERVER_HOST = 'kasm-1'
export const PROXY_HOSTS = [
  {name: 'proxy-http', scheme: 'http'},
  {name: 'proxy-https', scheme: 'https'},
] as const

export const kasmRoot = (dir: string, host: string): string => join(dir, 'hosts', host, 'opt', 'kasm')
const versionDir = (kasmVersion: KasmVersion): string => KASM_RELEASES[kasmVersion]
export const appConfigPath = (dir: string, host: string, file: string): string => join(kasmRoot(dir, host), 'current', 'conf', 'app', file)
export const proxyConfigPath = (dir: string, host: string): string => join(dir, 'hosts', host, 'etc', 'nginx', 'conf.d', 'kasm.conf')

async function template(name: string, values: Record<string, number | string>): Promise<string> {
  const text = await readFile(TEMPLATES(name), 'utf8')
  return text.replaceAll(/\{\{(\w+)\}\}/g, (_, key: string) => {
    if (!(key in values)) throw new Error(`template ${name}: no value for {{${key}}}`)
    return String(values[key])
  })
}

async function writeHostFile(path: string, text: string, mode = 0o644): Promise<void> {
  await mkdir(dirname(path), {recursive: true})
  await writeFile(path, text)
  await chmod(path, mode)
}

/** Secrets no component checks, fixed per install so that rewriting a host file reproduces it byte for byte. */
const derivedSecret = (seed: SeedResult, purpose: string): string =>
  createHash('sha256').update(`${seed.installationId}:${purpose}`).digest('hex').slice(0, 32)

/** The Kasm tree of one host with its bin/start and bin/stop scripts; returns the version dir. */
async function kasmTree(dir: string, host: string, kasmVersion: KasmVersion, scripts: {start: string; stop: string}): Promise<string> {
  const root = kasmRoot(dir, host)
  const version = join(root, versionDir(kasmVersion))
  await mkdir(join(version, 'conf', 'app'), {recursive: true})
  await mkdir(join(version, 'log'), {recursive: true})
  for (const action of ['start', 'stop'] as const) {
    const header = `#!/bin/sh\n# Kasm Workspaces: ${action} this host's services (kasmctl sandbox host ${host}).\n`
    await writeHostFile(join(version, 'bin', action), header + scripts[action], 0o755)
  }

  await symlink(versionDir(kasmVersion), join(root, 'current'))
  await symlink(join('current', 'bin'), join(root, 'bin'))
  return version
}

/**
 * (Re)writes every host directory from the state and the seed ids: `sandbox up`, and `sandbox reset`
 * to undo what tests and rehearsals changed.
 */
export async function writeHosts(state: SandboxState, seed: SeedResult, env: {nodePath?: string} = {}): Promise<void> {
  const {dir} = state
  await rm(join(dir, 'hosts'), {force: true, recursive: true})
  const client = join(dir, 'control-client.mjs')
  await copyFile(TEMPLATES('control-client.mjs'), client)
  const node = env.nodePath ?? process.execPath
  const controlScript = (action: string, name: string) =>
    `exec ${shellQuote(node)} ${shellQuote(client)} ${shellQuote(statePath(dir))} ${action} ${shellQuote(name)}\n`
  const notSimulated = (action: string, host: string) =>
    `echo "kasm ${action}: the services of ${host} are simulated by the kasmctl sandbox daemon; nothing to ${action}"\n`

  for (const name of WEBAPPS) {
    await kasmTree(dir, name, state.kasmVersion, {start: controlScript('start', name), stop: controlScript('stop', name)})
    await writeHostFile(
      appConfigPath(dir, name, 'api.app.config.yaml'),
      await template('api.app.config.yaml', {
        DB_PASSWORD: state.postgres.kasmappPassword,
        DB_PORT: state.postgres.port,
        HOSTNAME: name,
        MANAGER_ID: seed.managers[name],
        REDIS_PASSWORD: derivedSecret(seed, `redis:${name}`),
        SERVER_ID: seed.webappServerIds[name],
        SHARE_ID: seed.webappServerIds[name].slice(0, 8),
      }),
    )
  }

  for (const name of CONNECTION_PROXIES) {
    await kasmTree(dir, name, state.kasmVersion, {start: notSimulated('start', name), stop: notSimulated('stop', name)})
    const values = {
      API_PORT: state.proxies.find((p) => p.scheme === 'https')?.port ?? 443,
      AUTH_TOKEN: seed.connectionProxies[name].authToken,
      HOSTNAME: name,
      PROXY_ID: seed.connectionProxies[name].id,
      REGISTRATION_TOKEN: derivedSecret(seed, `registration:${name}`),
    }
    for (const file of ['kasmguac.app.config.yaml', 'passthrough.app.config.yaml', 'rdp_https_gateway.app.config.yaml']) {
      await writeHostFile(appConfigPath(dir, name, file), await template(file, values))
    }
  }

  await kasmTree(dir, DB_HOST, state.kasmVersion, databaseScripts(state))
  await singleServerHost(state, node, client)

  for (const proxy of state.proxies) {
    await kasmTree(dir, proxy.name, state.kasmVersion, {start: notSimulated('start', proxy.name), stop: notSimulated('stop', proxy.name)})
    const https = proxy.scheme === 'https'
    await writeHostFile(
      proxy.configPath,
      await template('kasm.conf', {
        HOSTNAME: proxy.name,
        LISTEN_SSL: https ? ' ssl' : '',
        PORT: proxy.port,
        SCHEME: proxy.scheme,
        SSL_LINES: https ? `    ssl_certificate ${state.tls.certFile};\n    ssl_certificate_key ${state.tls.keyFile};\n` : '',
        UPSTREAMS: state.webapps.map((w) => `    server 127.0.0.1:${w.port};`).join('\n'),
      }),
    )
  }
}

/** pg_ctl commands for the sandbox's PostgreSQL, as the user that owns its data directory. */
function pgCtlCommands(state: SandboxState): {start: string; stop: string; running: string} {
  const asPostgres = process.getuid?.() === 0 ? 'runuser -u postgres -- ' : ''
  const pgCtl = `${asPostgres}${shellQuote(join(state.postgres.binDir, 'pg_ctl'))} -D ${shellQuote(state.postgres.dataDir)}`
  const log = shellQuote(join(dirname(state.postgres.dataDir), 'postgres.log'))
  return {running: `${pgCtl} status >/dev/null 2>&1`, start: `${pgCtl} -l ${log} -w start`, stop: `${pgCtl} -m fast -w stop`}
}

/** db-1's bin/stop and bin/start stop and start the sandbox's PostgreSQL, as stopping kasm_db would. */
function databaseScripts(state: SandboxState): {start: string; stop: string} {
  const pg = pgCtlCommands(state)
  return {start: `exec ${pg.start}\n`, stop: `exec ${pg.stop}\n`}
}

/**
 * kasm-1, a single-server install. As in Kasm, bin/start and bin/stop run compose in
 * current/docker (`up -d` / `stop`, the whole project: kasm_db included). There is no Docker
 * engine here, so `docker/sandbox-compose` does what compose would do to this project: service
 * `db` is the sandbox's PostgreSQL, the others are the simulated web apps. `up -d db` starts the
 * database alone, as Kasm's db_restore does. A `docker` stand-in can run it for `docker compose`.
 */
async function singleServerHost(state: SandboxState, node: string, client: string): Promise<void> {
  const {dir} = state
  const compose = join(kasmRoot(dir, SINGLE_SERVER_HOST), versionDir(state.kasmVersion), 'docker', 'sandbox-compose')
  await kasmTree(dir, SINGLE_SERVER_HOST, state.kasmVersion, {start: `exec ${shellQuote(compose)} up -d\n`, stop: `exec ${shellQuote(compose)} stop\n`})
  const pg = pgCtlCommands(state)
  const webapps = (action: string) =>
    state.webapps.map((w) => `  ${shellQuote(node)} ${shellQuote(client)} ${shellQuote(statePath(dir))} ${action} ${shellQuote(w.name)}`).join('\n')
  const script = [
    '#!/bin/sh',
    `# What \`docker compose\` does to ${SINGLE_SERVER_HOST}'s project in the kasmctl sandbox: db = its PostgreSQL, the rest = its web apps.`,
    'set -e',
    'case "$1" in',
    '  up)',
    `  ${pg.running} || ${pg.start}`,
    '  [ "$3" = db ] && exit 0',
    webapps('start'),
    '  ;;',
    '  stop)',
    webapps('stop'),
    `  ! ${pg.running} || ${pg.stop}`,
    '  ;;',
    '  *) echo "sandbox-compose: only up -d [db] and stop are simulated" >&2; exit 1 ;;',
    'esac',
    '',
  ].join('\n')
  await writeHostFile(compose, script, 0o755)
  await writeHostFile(
    join(dirname(compose), 'docker-compose.yaml'),
    `# ${SINGLE_SERVER_HOST}: all-in-one install (docker-compose-all.yaml). Simulated by sandbox-compose in this directory.\nservices:\n  db:\n    container_name: kasm_db\n  kasm_api:\n    container_name: kasm_api\n`,
  )
}
