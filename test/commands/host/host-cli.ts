/** Helpers shared by the `kasmctl host ...` tests: the sandbox's host files, its managers' zones, contexts with other inventories. */
import {expect} from 'chai'
import {mkdtemp, readFile, rm} from 'node:fs/promises'
import {dirname, join} from 'node:path'

import {saveConfig} from '../../../src/lib/config/store.js'
import type {HostEntry} from '../../../src/lib/config/types.js'
import {runCli, type StartedCli} from '../../helpers/cli.js'
import type {TestSandbox} from '../../helpers/sandbox.js'

export const WEBAPPS = ['webapp-1', 'webapp-2'] as const

export function apiConfigPath(sandbox: TestSandbox, webapp: string): string {
  return sandbox.state.webapps.find((w) => w.name === webapp)!.configPath
}

export async function apiConfigs(sandbox: TestSandbox): Promise<Record<string, string>> {
  const entries = await Promise.all(WEBAPPS.map(async (name) => [name, await readFile(apiConfigPath(sandbox, name), 'utf8')] as const))
  return Object.fromEntries(entries)
}

/** The zone Kasm lists each web app's manager in (get_managers), by manager hostname. */
export async function managerZones(sandbox: TestSandbox): Promise<Record<string, null | string>> {
  const client = await sandbox.client()
  try {
    const [managers, zones] = await Promise.all([client.getManagers(), client.getZones()])
    const zoneName = (id: string) => zones.find((zone) => zone.zone_id === id)?.zone_name ?? null
    return Object.fromEntries(managers.filter((m) => WEBAPPS.includes(m.manager_hostname as never)).map((m) => [m.manager_hostname, m.zone_name ?? zoneName(m.zone_id)]))
  } finally {
    client.close()
  }
}

/** Whether each web app answers its own /api/__healthcheck. */
export async function webappsHealthy(sandbox: TestSandbox): Promise<Record<string, boolean>> {
  const client = await sandbox.client()
  try {
    const results = await Promise.all(sandbox.state.webapps.map(async (w) => [w.name, (await client.healthcheck(`http://127.0.0.1:${w.port}`)).ok] as const))
    return Object.fromEntries(results)
  } finally {
    client.close()
  }
}

/** Journals of `host zone-name` runs live here; each test starts without one. */
export function operationsDir(sandbox: TestSandbox): string {
  return join(sandbox.env.XDG_DATA_HOME!, 'kasmctl', 'operations')
}

export async function clearOperations(sandbox: TestSandbox): Promise<void> {
  await rm(operationsDir(sandbox), {force: true, recursive: true})
}

/**
 * Env for the CLI with a context named `name` that is the sandbox's with another host inventory. The config file
 * lives beside the sandbox, so the harness removes it with the sandbox.
 */
export async function contextWithHosts(sandbox: TestSandbox, name: string, hosts: HostEntry[]): Promise<NodeJS.ProcessEnv> {
  const dir = await mkdtemp(join(dirname(sandbox.dir), 'host-context-'))
  const path = join(dir, 'config.yaml')
  await saveConfig({file: {contexts: [{...sandbox.context, hosts, name}], currentContext: name}, path})
  return {...sandbox.env, KASMCTL_CONFIG: path}
}

/** The sandbox's own inventory entry of a host. */
export function sandboxHost(sandbox: TestSandbox, name: string): HostEntry {
  return sandbox.context.hosts!.find((host) => host.name === name)!
}

export async function kasmctl(sandbox: TestSandbox, args: string[], env: NodeJS.ProcessEnv = sandbox.env) {
  return runCli(args, {env, timeoutMs: 120_000})
}

/** Runs the CLI with --json and returns the parsed document, failing the test on a non-zero exit. */
export async function kasmctlJson<T>(sandbox: TestSandbox, args: string[], env: NodeJS.ProcessEnv = sandbox.env): Promise<T> {
  const result = await kasmctl(sandbox, [...args, '--json'], env)
  expect(result.exitCode, result.stderr + result.stdout).to.equal(0)
  return JSON.parse(result.stdout) as T
}

/** Waits until the running CLI has printed `text` on stderr. */
export async function waitForStderr(cli: StartedCli, text: string, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!cli.output().stderr.includes(text)) {
    if (Date.now() > deadline) throw new Error(`kasmctl did not print "${text}" within ${timeoutMs} ms: ${cli.output().stderr}`)
    await new Promise((resolve) => {
      setTimeout(resolve, 50)
    })
  }
}
