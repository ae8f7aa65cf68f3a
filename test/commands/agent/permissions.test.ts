import {expect} from 'chai'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {stringify} from 'yaml'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {jsonLines} from './fixtures.js'

/**
 * Commands facing Kasm's real permission behaviour (kasm-verified.md §1): a key without AGENTS_VIEW
 * sees no agent and gets no error from Kasm, and how Kasm records the destroys kasmctl asks for.
 */
describe('agent and session commands: permissions and how Kasm records destroys', () => {
  let sandbox: TestSandbox
  let dir: string
  /** Env selecting the sandbox context with the API key that lacks AGENTS_VIEW (500). */
  let noAgentsEnv: NodeJS.ProcessEnv

  /** Env selecting the sandbox context with another of its API keys. */
  async function envWithKey(name: keyof TestSandbox['state']['apiKeys']): Promise<NodeJS.ProcessEnv> {
    const {key, secretFile} = sandbox.state.apiKeys[name]
    const context = {...sandbox.context, api: {...sandbox.context.api, key, secret: {file: secretFile}}, name}
    const path = join(dir, `${name}.yaml`)
    await writeFile(path, stringify({contexts: [context], currentContext: name}), {mode: 0o600})
    return {...sandbox.env, KASMCTL_CONFIG: path}
  }

  before(async () => {
    sandbox = await useSandbox()
    await sandbox.reset()
    dir = await mkdtemp(join(tmpdir(), 'kasmctl-permissions-'))
    noAgentsEnv = await envWithKey('noagents')
  })
  after(async () => {
    await rm(dir, {force: true, recursive: true})
    await sandbox.reset()
  })

  for (const args of [['agent', 'list'], ['agent', 'get', 'agent-1'], ['agent', 'capacity'], ['agent', 'drain', 'agent-1', '--dry-run'], ['session', 'list']]) {
    it(`\`${args.join(' ')}\` with a key lacking AGENTS_VIEW exits 77 naming it, never "no agents"`, async () => {
      const result = await runCli([...args, '--json'], {env: noAgentsEnv})
      expect(result.exitCode, result.stdout + result.stderr).to.equal(77)
      const {error} = JSON.parse(result.stdout)
      expect(error).to.include({code: 'AUTH', exitCode: 77})
      expect(error.message).to.include('cannot see Docker agents').and.include('AGENTS_VIEW (500)')
    })
  }

  it('`health` with a key lacking AGENTS_VIEW is UNKNOWN with the missing permission, not "no agents"', async () => {
    const result = await runCli(['health', '--role', 'agent', '--json', '--timeout', '20s'], {env: noAgentsEnv})
    expect(result.exitCode, result.stdout).to.equal(3)
    const report = JSON.parse(result.stdout)
    const read = report.checks.find((c: {check: string}) => c.check === 'api-read')
    expect(read).to.include({status: 'UNKNOWN'})
    expect(read.message).to.include('AGENTS_VIEW (500)')
  })

  async function destroyReasons(kasmIds: string[]): Promise<string[]> {
    const db = await sandbox.db()
    try {
      const {rows} = await db.query<{destroy_reason: string}>('SELECT DISTINCT destroy_reason FROM accounting WHERE kasm_id = ANY($1::uuid[])', [kasmIds])
      return rows.map((r) => r.destroy_reason)
    } finally {
      await db.end()
    }
  }

  it('`session destroy` acts as each owner: Kasm records the user\'s own destroy, as its help says', async () => {
    const {sessions} = JSON.parse((await runCli(['session', 'list', '--agent', 'agent-5', '--json'], {env: sandbox.env})).stdout)
    const result = await runCli(['session', 'destroy', sessions[0].kasm_id, '--yes', '--json'], {env: sandbox.env})
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(await destroyReasons([sessions[0].kasm_id])).to.deep.equal(['user_destroyed'])
    const help = await runCli(['session', 'destroy', '--help'], {env: sandbox.env})
    expect(help.stdout).to.include('user_destroyed').and.include('USER (100)').and.include('USERS_AUTH_SESSION (352)')
  })

  it('`agent drain --force` ends what is left with destroy_agent_kasms: SESSIONS_DELETE is enough, and Kasm records an admin action', async () => {
    await sandbox.reset()
    // Agents, sessions, managers and zones to read, agents to disable, sessions to delete: no USER (100), which destroy_kasm would need.
    const db = await sandbox.db()
    await db
      .query(
        `WITH key AS (SELECT api_id FROM api_configs WHERE api_key = $1), gone AS (DELETE FROM group_permissions WHERE api_id = (SELECT api_id FROM key))
         INSERT INTO group_permissions (api_id, permission_id) SELECT api_id, unnest('{500,501,800,803,1800,1900}'::int[]) FROM key`,
        [sandbox.state.apiKeys.limited.key],
      )
      .finally(() => db.end())
    const env = await envWithKey('limited')
    const {sessions} = JSON.parse((await runCli(['session', 'list', '--agent', 'agent-5', '--json'], {env})).stdout)
    const result = await runCli(['agent', 'drain', 'agent-5', '--ignore-capacity', '--yes', '--poll-interval', '300ms', '--deadline', '1s', '--force', '--json'], {env})
    expect(result.exitCode, result.stdout).to.equal(0)
    expect(jsonLines(result).filter((l) => l.event === 'destroyed')).to.have.length(sessions.length)
    expect(await destroyReasons(sessions.map((s: {kasm_id: string}) => s.kasm_id))).to.deep.equal(['admin_destroyed'])
  })
})
