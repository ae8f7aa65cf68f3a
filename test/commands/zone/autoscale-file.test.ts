import {mkdtemp, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {expect} from 'chai'
import {parse, stringify} from 'yaml'

import {parseZonesFile} from '../../../src/lib/zones/file.js'
import {useSandbox} from '../../helpers/sandbox.js'
import {kasmctl, kasmctlJson} from './zone-cli.js'

type Row = Record<string, unknown>

/** The autoscale configs as stored, by name. */
async function stored(): Promise<Record<string, Row>> {
  const db = await (await useSandbox()).db()
  try {
    const {rows} = await db.query(`SELECT autoscale_config_name AS name, to_jsonb(a) - 'last_provision' - 'request_downscale_at' AS config FROM autoscale_configs a`)
    return Object.fromEntries(rows.map((row) => [row.name, row.config]))
  } finally {
    await db.end()
  }
}

async function fileWith(text: string): Promise<string> {
  const path = join(await mkdtemp(join(tmpdir(), 'kasmctl-zones-')), 'zones.yaml')
  await writeFile(path, text)
  return path
}

describe('zones as code: autoscale configs in the zones file (zone export / diff / apply)', () => {
  beforeEach(async () => {
    await (await useSandbox()).reset()
  })

  it('the file\'s autoscale section is checked like the rest: every problem with its line, nothing sent', () => {
    const text = 'version: 1\nzones: {}\nautoscale:\n  rdp-autoscale:\n    zone: default\n    minimum_pool_standby_sessions: many\n    standby_memory_bytes: 8GiB\n    backoff: 10m\n'
    expect(() => parseZonesFile(text, 'zones.yaml')).to.throw(/zones file zones.yaml has 2 problems; nothing was sent:\n {2}zones.yaml:6:36: autoscale.rdp-autoscale.minimum_pool_standby_sessions: "many" is not a whole number of 0 or more\n {2}zones.yaml:8:5: autoscale rdp-autoscale: unknown key "backoff": valid keys are zone, pool and enabled, /)
    const file = parseZonesFile('version: 1\nzones: {}\nautoscale:\n  rdp-autoscale:\n    downscale_backoff: 10m\n    standby_memory_bytes: 8GiB\n    max_simultaneous_users: null\n', 'zones.yaml')
    expect(file.autoscale).to.deep.equal([{name: 'rdp-autoscale', settings: {downscale_backoff: 600, max_simultaneous_users: null, standby_memory_bytes: 8 * 1024 ** 3}}])
  })

  it('export writes the configs with their zone and pool; diff of that export finds nothing', async () => {
    const exported = await kasmctl(['zone', 'export'])
    expect(exported.exitCode, exported.stderr).to.equal(0)
    const document = parse(exported.stdout)
    expect(document.autoscale['rdp-autoscale']).to.include({downscale_backoff: 600, enabled: false, minimum_pool_standby_sessions: 2, pool: 'rdp-pool', zone: 'default'})
    const path = await fileWith(exported.stdout)
    const diff = await kasmctl(['zone', 'diff', '-f', path])
    expect(diff.exitCode, diff.stdout + diff.stderr).to.equal(0)
    expect(diff.stdout).to.include('= autoscale unchanged: east-autoscale, rdp-autoscale')
  })

  it('diff shows a config\'s field changes (exit 1); apply sends them with the whole config; a second apply changes nothing', async () => {
    const path = await fileWith(stringify({autoscale: {'rdp-autoscale': {downscale_backoff: '15m', minimum_pool_standby_sessions: 4, pool: 'rdp-pool', zone: 'default'}}, version: 1, zones: {}}))
    const diff = await kasmctl(['zone', 'diff', '-f', path])
    expect(diff.exitCode).to.equal(1)
    expect(diff.stdout).to.include('~ autoscale rdp-autoscale\n    minimum_pool_standby_sessions: 2 → 4\n    downscale_backoff:             10m → 15m')
    const before = await stored()
    const applied = await kasmctlJson<Row & {autoscale: Row}>(['zone', 'apply', '-f', path])
    expect(applied).to.include({changed: true, dry_run: false})
    expect(await stored()).to.deep.equal({...before, 'rdp-autoscale': {...before['rdp-autoscale'], downscale_backoff: 900, minimum_pool_standby_sessions: 4}})
    const again = await kasmctlJson<Row>(['zone', 'apply', '-f', path])
    expect(again.changed).to.equal(false)
  })

  it('refuses (exit 64, nothing sent) a config Kasm lacks, or one the file puts in another zone', async () => {
    const before = await stored()
    for (const [config, message] of [
      [{'new-autoscale': {minimum_pool_standby_sessions: 1}}, 'autoscale config "new-autoscale" of the file is not in Kasm'],
      [{'rdp-autoscale': {minimum_pool_standby_sessions: 1, zone: 'east'}}, 'autoscale config "rdp-autoscale" is in zone default, the file says east'],
    ] as const) {
      const path = await fileWith(stringify({autoscale: config, version: 1, zones: {east: {search_alternate_zones: false}}}))
      const result = await kasmctl(['zone', 'apply', '-f', path])
      expect(result.exitCode).to.equal(64)
      expect(result.stderr).to.include(message)
    }

    expect(await stored()).to.deep.equal(before)
  })

  it('zone lint --file checks the autoscale configs as the file would leave them', async () => {
    const path = await fileWith(stringify({autoscale: {'rdp-autoscale': {enabled: true, max_simultaneous_users: 3}}, version: 1, zones: {}}))
    const result = await kasmctl(['zone', 'lint', '--file', path, '--json'])
    const findings = JSON.parse(result.stdout).findings as Row[]
    expect(findings.find((f) => f.rule === 'autoscale-users-above-sessions')).to.include({
      message: 'rdp-autoscale: max_simultaneous_users 3 is above max_simultaneous_sessions_per_server 2: a server never takes more than 2 session(s)',
      severity: 'warning',
      zone: 'default',
    })
    expect((await stored())['rdp-autoscale'].enabled, 'lint sends nothing').to.equal(false)
  })
})
