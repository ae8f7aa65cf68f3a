import {expect} from 'chai'

import {KASM_VERSIONS} from '../../../src/lib/kasm/version.js'
import {type TestSandbox, useSandbox} from '../../helpers/sandbox.js'
import {kasmctl, kasmctlJson} from '../zone/zone-cli.js'

type Row = Record<string, unknown>

/** The autoscale configs as stored (what a write would change), by name, whatever columns the release has. */
async function stored(sandbox?: TestSandbox): Promise<Record<string, Row>> {
  const db = await (sandbox ?? (await useSandbox())).db()
  try {
    const {rows} = await db.query(`SELECT autoscale_config_name AS name, to_jsonb(a) - 'last_provision' - 'request_downscale_at' AS config FROM autoscale_configs a`)
    return Object.fromEntries(rows.map((row) => [row.name, row.config]))
  } finally {
    await db.end()
  }
}

async function expectRefused(args: string[], message: RegExp): Promise<void> {
  const before = await stored()
  const result = await kasmctl(args)
  expect(result.exitCode, `${args.join(' ')}\n${result.stderr}`).to.equal(64)
  expect(result.stderr).to.match(message)
  expect(await stored(), 'nothing was sent').to.deep.equal(before)
}

describe('kasmctl pool / autoscale (list, get, set, enable, disable)', () => {
  beforeEach(async () => {
    await (await useSandbox()).reset()
  })

  it('pool list / pool get show each pool\'s type, servers and the configs attached', async () => {
    const {pools} = await kasmctlJson<{pools: Row[]}>(['pool', 'list'])
    expect(pools.map((p) => [p.server_pool_name, p.server_pool_type, (p.servers as Row[]).map((s) => s.hostname), (p.autoscale_configs as Row[]).map((c) => [c.autoscale_config_name, c.enabled])])).to.deep.equal([
      ['east-pool', 'Docker Agent', [], [['east-autoscale', true]]],
      ['rdp-pool', 'Server Pool', ['rdp-1', 'rdp-2'], [['rdp-autoscale', false]]],
    ])
    const {pool} = await kasmctlJson<{pool: Row}>(['pool', 'get', 'rdp-pool'])
    expect(pool.server_pool_type).to.equal('Server Pool')
    const table = await kasmctl(['pool', 'list'])
    expect(table.stdout).to.match(/rdp-pool .*Server Pool .*2 .*rdp-autoscale \(disabled\)/)
  })

  it('autoscale list / get show every field in one form (bytes, seconds), the VM provider and schedules', async () => {
    const {autoscale_configs: configs} = await kasmctlJson<{autoscale_configs: Row[]}>(['autoscale', 'list'])
    expect(configs.map((c) => c.autoscale_config_name)).to.deep.equal(['east-autoscale', 'rdp-autoscale'])
    const {autoscale_config: rdp} = await kasmctlJson<{autoscale_config: Row & {settings: Row}}>(['autoscale', 'get', 'rdp-autoscale'])
    expect(rdp).to.include({autoscale_type: 'Server Pool', kasm_fields: '1.19', server_pool_name: 'rdp-pool', vm_provider: 'Sandbox VMs (simulated)', zone_name: 'default'})
    expect(rdp.settings).to.include({downscale_backoff: 600, enabled: false, max_simultaneous_sessions_per_server: 2, max_simultaneous_users: 1, minimum_pool_standby_sessions: 2, require_checkin: true})
    expect(rdp.schedules).to.deep.include.members([{active_end_time: '19:00', active_start_time: '07:00', days_of_the_week: [1, 2, 3, 4, 5], schedule_id: (rdp.schedules as Row[])[0].schedule_id, timezone: 'UTC'}])
    const table = await kasmctl(['autoscale', 'get', 'rdp-autoscale'])
    expect(table.stdout).to.match(/downscale_backoff:\s+10m/)
    // The list's booleans read yes/no, as in every other table.
    expect((await kasmctl(['autoscale', 'list'])).stdout).to.match(/^rdp-autoscale +Server Pool +default +rdp-pool +no +2 +10m +yes$/m)
  })

  it('set prints before → after and sends the whole config: the fields it does not name keep their values', async () => {
    const before = await stored()
    const result = await kasmctl(['autoscale', 'set', 'rdp-autoscale', '--min-available', '4', '--downscale-backoff', '10m', '--aggressive', '--yes'])
    expect(result.exitCode, result.stderr).to.equal(0)
    // 10m is the backoff it already has: only what differs is listed.
    expect(result.stdout).to.equal('autoscale config rdp-autoscale changed (the whole config was sent):\n  minimum_pool_standby_sessions: 2 → 4\n  aggressive_scaling:            false → true\n')
    const after = await stored()
    expect(after['rdp-autoscale']).to.deep.equal({...before['rdp-autoscale'], aggressive_scaling: true, minimum_pool_standby_sessions: 4})
    expect(after['east-autoscale']).to.deep.equal(before['east-autoscale'])
  })

  it('--dry-run shows the changes in JSON and sends nothing; memory takes sizes', async () => {
    const before = await stored()
    const result = await kasmctlJson<Row>(['autoscale', 'set', 'east-autoscale', '--standby-memory', '8GiB', '--standby-cores', '6', '--dry-run'])
    expect(result).to.deep.equal({
      autoscale_config_id: result.autoscale_config_id,
      autoscale_config_name: 'east-autoscale',
      changes: [
        {after: 6, before: 0, field: 'standby_cores'},
        {after: 8 * 1024 ** 3, before: 0, field: 'standby_memory_bytes'},
      ],
      dry_run: true,
    })
    expect(await stored()).to.deep.equal(before)
  })

  it('refuses bad input with exit 64, naming the value and the valid forms, and changes nothing', async () => {
    await expectRefused(['autoscale', 'set', 'rdp-autoscale', '--standby-memory', 'lots', '--yes'], /--standby-memory: "lots" is not a size: use bytes or a unit, e\.g\. 512MiB, 8GiB/)
    await expectRefused(['autoscale', 'set', 'rdp-autoscale', '--max-sessions-per-server', '0', '--yes'], /--max-sessions-per-server: "0" is not a whole number of 1 or more/)
    await expectRefused(['autoscale', 'set', 'rdp-autoscale', '--downscale-backoff', 'soon', '--yes'], /"soon" is not a duration/)
    // More than Kasm's INTEGER columns hold: Kasm answers HTTP 500, so kasmctl refuses it first.
    await expectRefused(['autoscale', 'set', 'rdp-autoscale', '--min-available', '99999999999', '--yes'], /--min-available: "99999999999" is more than Kasm can store: use at most 2147483647$/m)
    await expectRefused(['autoscale', 'set', 'rdp-autoscale', '--downscale-backoff', '100000d', '--yes'], /--downscale-backoff: "100000d" is more than Kasm can store: use at most 2147483647 seconds/)
    await expectRefused(['autoscale', 'set', 'east-autoscale', '--standby-memory', '99999999TiB', '--yes'], /--standby-memory: "99999999TiB" is more than Kasm can store/)
    await expectRefused(['autoscale', 'set', 'rdp-autoscale', '--require-checkin=maybe', '--yes'], /"maybe" is not a boolean value for --require-checkin/)
    await expectRefused(['autoscale', 'set', 'rdp-autoscale', '--yes'], /nothing to set: give at least one field flag/)
    await expectRefused(['autoscale', 'set', 'nope', '--min-available', '3', '--yes'], /no autoscale config "nope": known autoscale configs: east-autoscale, rdp-autoscale/)
    await expectRefused(['autoscale', 'set', 'rdp-autoscale', '--min-available', '3'], /needs confirmation, and stdin is not a terminal/)
  })

  it('enable / disable: before → after, then unchanged (nothing sent) when already so', async () => {
    const enabled = await kasmctlJson<Row>(['autoscale', 'enable', 'rdp-autoscale', '--yes'])
    expect(enabled.changes).to.deep.equal([{after: true, before: false, field: 'enabled'}])
    expect((await stored())['rdp-autoscale'].enabled).to.equal(true)
    const again = await kasmctl(['autoscale', 'enable', 'rdp-autoscale', '--yes'])
    expect(again.stdout).to.equal('autoscale config rdp-autoscale unchanged\n')
    const disabled = await kasmctl(['autoscale', 'disable', 'rdp-autoscale', '--dry-run'])
    expect(disabled.stdout).to.equal('autoscale config rdp-autoscale would change (dry run: nothing sent):\n  enabled: true → false\n')
    expect((await stored())['rdp-autoscale'].enabled).to.equal(true)
  })

  it('without the Auto Scaling licence: an error naming the licence, exit 77, nothing changed', async () => {
    const sandbox = await useSandbox()
    await sandbox.fault({kind: 'autoscale-unlicensed'})
    try {
      for (const args of [['pool', 'list'], ['autoscale', 'list'], ['autoscale', 'set', 'rdp-autoscale', '--min-available', '3', '--yes']]) {
        const result = await kasmctl([...args, '--json'])
        expect(result.exitCode, args.join(' ')).to.equal(77)
        const {error} = JSON.parse(result.stdout)
        expect(error).to.include({code: 'NOT_LICENSED', exitCode: 77})
        expect(error.message).to.match(/^Auto Scaling is not licensed on .*"Access Denied\. Auto Scaling is not licensed"/)
      }

      const human = await kasmctl(['autoscale', 'list'])
      expect(human.stderr).to.include('Hint: server pools and autoscale configs need a Kasm licence that includes Auto Scaling')
      expect((await stored())['rdp-autoscale'].minimum_pool_standby_sessions).to.equal(2)
    } finally {
      await sandbox.clearFaults()
    }
  })

  it('--help lists examples, the field flags and the exit codes (77 naming the licence)', async () => {
    const help = await kasmctl(['autoscale', 'set', '--help'])
    expect(help.stdout).to.include('AUTOSCALE FIELDS FLAGS')
    expect(help.stdout).to.include('--standby-memory=SIZE')
    expect(help.stdout).to.include('Auto Scaling not licensed')
    expect(help.stdout).to.include('$ kasmctl autoscale set rdp-autoscale --min-available 4')
  })
})

// The same commands on every release the sandbox imitates: its own field names for memory and max users.
for (const kasmVersion of KASM_VERSIONS) {
  describe(`kasmctl autoscale on the ${kasmVersion} sandbox`, () => {
    const modern = kasmVersion === '1.19'
    let sandbox: TestSandbox
    beforeEach(async () => {
      sandbox = await useSandbox({kasmVersion})
      await sandbox.reset()
    })

    it('reads the config in one form and sets memory in that release\'s own field', async () => {
      const {autoscale_config: east} = await kasmctlJson<{autoscale_config: Row & {settings: Row}}>(['autoscale', 'get', 'east-autoscale'], {env: sandbox.env})
      expect(east.kasm_fields).to.equal(modern ? '1.19' : '1.15')
      expect(east.settings).to.include({standby_memory_bytes: 0})
      if (!modern) expect(east.settings).to.not.have.property('max_simultaneous_users')
      const set = await kasmctl(['autoscale', 'set', 'east-autoscale', '--standby-memory', '2GB', '--yes'], {env: sandbox.env})
      expect(set.exitCode, set.stderr).to.equal(0)
      expect(set.stdout).to.include('standby_memory_bytes: 0 → 1.9 GiB')
      expect((await stored(sandbox))['east-autoscale'].standby_memory_bytes).to.equal(2e9)
    })

    it(modern ? 'sets max users per server' : 'refuses --max-users-per-server (a 1.19 field) with exit 64, changing nothing', async () => {
      const before = await stored(sandbox)
      const result = await kasmctl(['autoscale', 'set', 'rdp-autoscale', '--max-users-per-server', '2', '--yes'], {env: sandbox.env})
      if (modern) {
        expect(result.exitCode, result.stderr).to.equal(0)
        expect((await stored(sandbox))['rdp-autoscale'].max_simultaneous_users).to.equal(2)
      } else {
        expect(result.exitCode).to.equal(64)
        expect(result.stderr).to.include('--max-users-per-server: this Kasm (1.15 fields) has no max_simultaneous_users; it needs Kasm 1.19 or later')
        expect(await stored(sandbox)).to.deep.equal(before)
      }
    })
  })
}
