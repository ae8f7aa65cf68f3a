/** Shared by the zone command tests: run kasmctl against the sandbox, and read Kasm's zones directly. */
import {expect} from 'chai'

import type {Zone} from '../../../src/lib/kasm/types.js'
import {settingsOf} from '../../../src/lib/zones/settings.js'
import {type CliResult, runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

/** Where a zone command runs: the default (1.19) sandbox unless a test names another variant's. */
interface Target {
  sandbox?: TestSandbox
}

export async function kasmctl(args: string[], options: {env?: NodeJS.ProcessEnv; input?: string} & Target = {}): Promise<CliResult> {
  const sandbox = options.sandbox ?? (await useSandbox())
  return runCli(args, {env: options.env ?? sandbox.env, input: options.input})
}

/** Runs a command expected to succeed and returns its parsed JSON. */
export async function kasmctlJson<T = Record<string, unknown>>(args: string[], options: {env?: NodeJS.ProcessEnv; input?: string} & Target = {}): Promise<T> {
  const result = await kasmctl([...args, '--json'], options)
  expect(result.exitCode, result.stderr + result.stdout).to.equal(0)
  return JSON.parse(result.stdout) as T
}

/** Every zone as Kasm has it, by name: id and settings (what a write would change). */
export async function zoneState(target: Target = {}): Promise<Record<string, Partial<Zone>>> {
  const sandbox = target.sandbox ?? (await useSandbox())
  const client = await sandbox.client()
  try {
    const zones = await client.getZones({brief: true})
    return Object.fromEntries(zones.map((zone) => [zone.zone_name, {zone_id: zone.zone_id, ...settingsOf(zone)}]))
  } finally {
    client.close()
  }
}

export async function zoneNamed(name: string): Promise<Zone | undefined> {
  const sandbox = await useSandbox()
  const client = await sandbox.client()
  try {
    return (await client.getZones()).find((zone) => zone.zone_name === name)
  } finally {
    client.close()
  }
}

/** Asserts a usage error: exit 64, the message on stderr, and no zone changed. */
export async function expectRefused(args: string[], message: RegExp | string, options: {input?: string} & Target = {}): Promise<CliResult> {
  const before = await zoneState(options)
  const result = await kasmctl(args, options)
  expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).to.equal(64)
  if (typeof message === 'string') expect(result.stderr).to.include(message)
  else expect(result.stderr).to.match(message)
  expect(await zoneState(options), 'nothing was sent').to.deep.equal(before)
  return result
}

/** A context from the environment only (no config file): no defaultZone, no enclaves, no proxies, no database. */
export async function envOnlyContext(sandbox: TestSandbox): Promise<NodeJS.ProcessEnv> {
  const {readFile} = await import('node:fs/promises')
  const {HOME, LANG, PATH, TMPDIR} = process.env
  return {
    HOME,
    KASMCTL_API_KEY: sandbox.state.apiKeys.admin.key,
    KASMCTL_API_SECRET: (await readFile(sandbox.state.apiKeys.admin.secretFile, 'utf8')).trim(),
    KASMCTL_API_URL: sandbox.context.api.url,
    KASMCTL_CA_FILE: sandbox.state.tls.caFile,
    KASMCTL_CONFIG: `${sandbox.dir}/no-such-config.yaml`,
    LANG,
    NO_COLOR: '1',
    PATH,
    TMPDIR,
  }
}
