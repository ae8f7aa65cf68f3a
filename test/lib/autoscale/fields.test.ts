import {expect} from 'chai'

import {
  AUTOSCALE_FIELDS,
  autoscaleChanges,
  autoscaleFieldSpec,
  autoscaleSettingsFromFlags,
  displayAutoscaleValue,
  kasmFormOf,
  parseAutoscaleValue,
  settingsOfConfig,
  withChanges,
} from '../../../src/lib/autoscale/fields.js'
import {UsageError} from '../../../src/lib/errors.js'
import type {RawAutoscaleConfig} from '../../../src/lib/kasm/types.js'

const GiB = 1024 ** 3
const base = {autoscale_config_id: 'a'.repeat(32), autoscale_config_name: 'rdp', zone_id: 'b'.repeat(32)}
const v119: RawAutoscaleConfig = {...base, agent_memory_override_bytes: 0, downscale_backoff: 900, enabled: true, max_simultaneous_users: 2, standby_memory_bytes: 4 * GiB}
const v115: RawAutoscaleConfig = {...base, agent_memory_override_gb: 16, downscale_backoff: 900, enabled: true, standby_memory_mb: 2000}
const spec = (field: string) => autoscaleFieldSpec(field)!

describe('autoscale config fields (one table)', () => {
  it('has one flag per field, none shared', () => {
    const flags = AUTOSCALE_FIELDS.map((s) => s.flag)
    expect(new Set(flags).size).to.equal(flags.length)
    expect(flags).to.include.members(['min-available', 'max-sessions-per-server', 'max-users-per-server', 'downscale-backoff', 'require-checkin', 'aggressive', 'standby-cores', 'standby-memory'])
  })

  it('reads 1.19 (bytes) and 1.15 (MB / GB) configs into one form; a field this Kasm lacks is absent', () => {
    expect(kasmFormOf(v119)).to.equal('1.19')
    expect(kasmFormOf(v115)).to.equal('1.15')
    expect(settingsOfConfig(v119)).to.include({max_simultaneous_users: 2, standby_memory_bytes: 4 * GiB})
    expect(settingsOfConfig(v115)).to.include({agent_memory_override_bytes: 16e9, standby_memory_bytes: 2e9})
    expect(settingsOfConfig(v115)).to.not.have.property('max_simultaneous_users')
  })

  it('parses sizes, durations, counts and booleans, naming the source in errors', () => {
    expect(parseAutoscaleValue(spec('standby_memory_bytes'), '8GiB', '--standby-memory')).to.equal(8 * GiB)
    expect(parseAutoscaleValue(spec('standby_memory_bytes'), '16GB', '--standby-memory')).to.equal(16e9)
    expect(parseAutoscaleValue(spec('standby_memory_bytes'), '0', '--standby-memory')).to.equal(0)
    expect(parseAutoscaleValue(spec('downscale_backoff'), '10m', '--downscale-backoff')).to.equal(600)
    expect(parseAutoscaleValue(spec('downscale_backoff'), '0', '--downscale-backoff')).to.equal(0)
    expect(parseAutoscaleValue(spec('downscale_backoff'), 300, 'rdp.downscale_backoff')).to.equal(300)
    expect(parseAutoscaleValue(spec('require_checkin'), 'no', '--require-checkin')).to.equal(false)
    expect(() => parseAutoscaleValue(spec('downscale_backoff'), '1500ms', '--downscale-backoff')).to.throw(UsageError, 'not a whole number of seconds')
    expect(() => parseAutoscaleValue(spec('max_simultaneous_sessions_per_server'), '0', '--max-sessions-per-server')).to.throw(UsageError, '"0" is not a whole number of 1 or more')
    expect(() => parseAutoscaleValue(spec('minimum_pool_standby_sessions'), '-1', 'rdp.minimum_pool_standby_sessions')).to.throw(UsageError, 'rdp.minimum_pool_standby_sessions: "-1"')
  })

  it('reads flags into settings; only the fields given', () => {
    expect(autoscaleSettingsFromFlags({aggressive: false, 'min-available': '4', unrelated: 'x'})).to.deep.equal({aggressive_scaling: false, minimum_pool_standby_sessions: 4})
  })

  it('changes list only what differs, in the table\'s order', () => {
    const current = settingsOfConfig(v119)
    expect(autoscaleChanges(current, {downscale_backoff: 900, enabled: false, standby_memory_bytes: 8 * GiB})).to.deep.equal([
      {after: false, before: true, field: 'enabled'},
      {after: 8 * GiB, before: 4 * GiB, field: 'standby_memory_bytes'},
    ])
  })

  it('sends the whole config with the changes in the Kasm version\'s own names', () => {
    const memory = [{after: 8e9, before: 4 * GiB, field: 'standby_memory_bytes'}]
    expect(withChanges(v119, memory)).to.deep.equal({...v119, standby_memory_bytes: 8e9})
    expect(withChanges(v115, memory)).to.deep.equal({...v115, standby_memory_mb: 8000})
    expect(() => withChanges(v115, [{after: 2, before: null, field: 'max_simultaneous_users'}])).to.throw(UsageError, 'needs Kasm 1.19 or later')
  })

  it('shows sizes and durations as people read them', () => {
    expect(displayAutoscaleValue('standby_memory_bytes', 8 * GiB)).to.equal('8.0 GiB')
    expect(displayAutoscaleValue('downscale_backoff', 600)).to.equal('10m')
    expect(displayAutoscaleValue('max_simultaneous_users', null)).to.equal('-')
  })
})
