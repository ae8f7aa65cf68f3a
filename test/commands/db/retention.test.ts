import {expect} from 'chai'
import {readFile} from 'node:fs/promises'

import {runCli} from '../../helpers/cli.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'

describe('db retention', () => {
  let sandbox: TestSandbox

  before(async () => {
    sandbox = await useSandbox()
  })

  beforeEach(async () => {
    await sandbox.reset()
  })

  const cli = (args: string[], env = sandbox.env) => runCli(['db', 'retention', ...args], {env})

  /** The two settings as Kasm's API returns them (strings). */
  async function settings(): Promise<Record<string, string>> {
    const client = await sandbox.client()
    try {
      const all = await client.getSettings()
      return Object.fromEntries(all.filter((s) => s.category === 'logging' && s.name.endsWith('_retention')).map((s) => [s.name, s.value]))
    } finally {
      client.close()
    }
  }

  it('get: reads log_retention (days) and debug_retention (hours) through the API', async () => {
    const result = await cli(['get', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout)).to.deep.equal({debugRetentionHours: 4, logProtocol: 'internal', logRetentionDays: 7})
  })

  it('set: writes the new values through update_setting, as strings', async () => {
    const result = await cli(['set', '--log-retention', '10d', '--debug-retention', '6h', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(JSON.parse(result.stdout)).to.deep.equal({
      changes: [
        {from: 7, setting: 'log_retention', to: 10},
        {from: 4, setting: 'debug_retention', to: 6},
      ],
      dryRun: false,
      retention: {debugRetentionHours: 6, logProtocol: 'internal', logRetentionDays: 10},
    })
    expect(await settings()).to.deep.equal({debug_retention: '6', log_retention: '10'})
    // The database holds the value encrypted, which is why kasmctl never writes it with SQL.
    const db = await sandbox.db()
    try {
      const {rows} = await db.query(`SELECT value FROM settings WHERE category = 'logging' AND name = 'log_retention'`)
      expect(rows[0].value).to.not.equal('10')
    } finally {
      await db.end()
    }
  })

  it('set --dry-run shows the change and leaves Kasm as it was', async () => {
    const result = await cli(['set', '--log-retention', '3d', '--dry-run'])
    expect(result.exitCode, result.stderr).to.equal(0)
    expect(result.stdout).to.include('log_retention: 7 → 3 days')
    expect(await settings()).to.deep.equal({debug_retention: '4', log_retention: '7'})
  })

  it('set 0 disables database logging only after confirmation, and points to log forwarding', async () => {
    const refused = await cli(['set', '--log-retention', '0'])
    expect(refused.exitCode).to.equal(64)
    expect(refused.stderr).to.include('SIEM').and.include('--yes')
    expect(await settings()).to.deep.equal({debug_retention: '4', log_retention: '7'})

    const confirmed = await cli(['set', '--log-retention', '0d', '--debug-retention', '0', '--yes'])
    expect(confirmed.exitCode, confirmed.stderr).to.equal(0)
    expect(await settings()).to.deep.equal({debug_retention: '0', log_retention: '0'})
  })

  it('set with a read-only API key: refused with the permission it lacks (exit 77), nothing changed', async () => {
    const {context, state} = sandbox
    const env = {
      ...sandbox.env,
      KASMCTL_API_KEY: state.apiKeys.readonly.key,
      KASMCTL_API_SECRET: (await readFile(state.apiKeys.readonly.secretFile, 'utf8')).trim(),
      KASMCTL_API_URL: context.api.url,
      KASMCTL_CA_FILE: context.api.tls?.caFile,
    }
    const result = await cli(['set', '--log-retention', '30d'], env)
    expect(result.exitCode).to.equal(77)
    expect(result.stderr).to.include('update_setting').and.include('SETTINGS_MODIFY')
    expect(await settings()).to.deep.equal({debug_retention: '4', log_retention: '7'})
  })

  it('set rejects a negative value, a part of a day, and a call with nothing to change (exit 64)', async () => {
    const [negative, partial, empty] = await Promise.all([cli(['set', '--log-retention=-1d']), cli(['set', '--log-retention', '36h']), cli(['set'])])
    expect(negative.exitCode).to.equal(64)
    expect(negative.stderr).to.include('--log-retention "-1d" is not a duration')
    expect(partial.exitCode).to.equal(64)
    expect(partial.stderr).to.include('--log-retention 1d12h is not a whole number of days')
    expect(empty.exitCode).to.equal(64)
    expect(empty.stderr).to.include('give --log-retention, --debug-retention or both')
    expect(await settings()).to.deep.equal({debug_retention: '4', log_retention: '7'})
  })

  it('set keeps --days and --debug-hours as deprecated aliases: they still work, with a warning (in the JSON too)', async () => {
    const result = await cli(['set', '--days', '3', '--debug-hours', '2', '--dry-run', '--json'])
    expect(result.exitCode, result.stderr).to.equal(0)
    const json = JSON.parse(result.stdout)
    expect(json.changes).to.deep.equal([{from: 7, setting: 'log_retention', to: 3}, {from: 4, setting: 'debug_retention', to: 2}])
    expect(json.warnings.join('\n')).to.include('"days" flag has been deprecated').and.include('log-retention')
    expect(result.stderr).to.include('deprecated')
  })
})
