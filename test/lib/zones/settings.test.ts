import {expect} from 'chai'

import {UsageError} from '../../../src/lib/errors.js'
import {
  ZONE_SETTINGS,
  displayValue,
  parseSetting,
  parseZoneName,
  settingSpec,
  settingsFromFlags,
  withDefaults,
} from '../../../src/lib/zones/settings.js'

const spec = (field: string) => settingSpec(field)!

describe('zone settings', () => {
  it('covers every zone field of Kasm 1.19, each with a flag and a default', () => {
    expect(ZONE_SETTINGS.map((s) => s.field)).to.have.members([
      'load_strategy', 'search_alternate_zones', 'prioritize_static_agents', 'allow_origin_domain', 'upstream_auth_address',
      'proxy_connections', 'proxy_hostname', 'proxy_path', 'proxy_port', 'proxy_rdp_client_connections', 'proxy_rdp_hostname',
      'proxy_rdp_port', 'verify_rdp_client_ip', 'enable_rdp_https_gw', 'enable_rdp_https_gw_dlp', 'enable_rdp_direct_login',
    ])
    for (const s of ZONE_SETTINGS) expect(s.default, s.field).to.not.equal(undefined)
  })

  it('reads booleans as true/false/yes/no/1/0 in any case, and YAML booleans', () => {
    const field = spec('search_alternate_zones')
    for (const word of ['true', 'YES', '1', 'True']) expect(parseSetting(field, word, '--x')).to.equal(true)
    for (const word of ['false', 'no', '0', 'No']) expect(parseSetting(field, word, '--x')).to.equal(false)
    expect(parseSetting(field, false, 'file')).to.equal(false)
    expect(() => parseSetting(field, 'maybe', '--search-alternate')).to.throw(UsageError, '--search-alternate: "maybe" is not a boolean: use true, false, yes, no, 1 or 0')
  })

  it('takes ports 0-65535 only, as numbers or numeric strings', () => {
    const field = spec('proxy_port')
    expect(parseSetting(field, '0', '--proxy-port')).to.equal(0)
    expect(parseSetting(field, 65_535, 'file')).to.equal(65_535)
    for (const bad of ['70000', '-1', '44.3', 'https', '']) {
      expect(() => parseSetting(field, bad, '--proxy-port')).to.throw(UsageError, 'is not a port: use a whole number from 0 to 65535')
    }
  })

  it('takes the UI\'s strategy names and Kasm\'s, storing Kasm\'s', () => {
    const field = spec('load_strategy')
    expect(parseSetting(field, 'least-load', 'x')).to.equal('least_load')
    expect(parseSetting(field, 'most-load', 'x')).to.equal('most_load')
    expect(parseSetting(field, 'least-sessions', 'x')).to.equal('least_kasms')
    expect(parseSetting(field, 'most-sessions', 'x')).to.equal('most_kasms')
    expect(parseSetting(field, 'most_kasms', 'x')).to.equal('most_kasms')
    expect(() => parseSetting(field, 'round-robin', '--load-strategy')).to.throw(
      UsageError,
      '--load-strategy: "round-robin" is not a load strategy: use least-load, most-load, least-sessions or most-sessions',
    )
    expect(displayValue('load_strategy', 'least_kasms')).to.equal('least-sessions')
  })

  it('keeps $request_host$ literally and refuses empty host names, but not an empty path', () => {
    expect(parseSetting(spec('upstream_auth_address'), '$request_host$', 'x')).to.equal('$request_host$')
    expect(() => parseSetting(spec('proxy_hostname'), '  ', '--proxy-hostname')).to.throw(UsageError, '--proxy-hostname: must not be empty')
    expect(parseSetting(spec('proxy_path'), '', 'x')).to.equal('')
    expect(() => parseSetting(spec('proxy_hostname'), 12, 'east.proxy_hostname')).to.throw(UsageError, 'is not a string (quote it)')
  })

  it('refuses empty, blank and padded zone names', () => {
    expect(parseZoneName('east', 'zone name')).to.equal('east')
    expect(() => parseZoneName('', 'zone name')).to.throw(UsageError, 'zone name "" is empty')
    expect(() => parseZoneName(' \t', 'zone name')).to.throw(UsageError, 'is empty')
    expect(() => parseZoneName(' east', 'zone name')).to.throw(UsageError, 'surrounding whitespace or control characters: use "east"')
  })

  it('refuses control characters and overlong values in names and settings, from flags and files alike', () => {
    expect(() => settingsFromFlags({'allow-origin-domain': 'kasm.example.com\nevil.example.com'})).to.throw(
      UsageError,
      '--allow-origin-domain: "kasm.example.com\\nevil.example.com" contains a control character (newline, tab, NUL...): remove it',
    )
    expect(() => parseSetting(spec('proxy_path'), 'desk\u0000top', 'east.proxy_path')).to.throw(UsageError, 'east.proxy_path: "desk\\u0000top" contains a control character')
    expect(() => parseSetting(spec('proxy_hostname'), 'h'.repeat(256), '--proxy-hostname')).to.throw(UsageError, 'is 256 characters long: at most 255')
    expect(parseSetting(spec('proxy_hostname'), 'h'.repeat(255), '--proxy-hostname')).to.have.length(255)
    expect(() => parseZoneName('z'.repeat(10_000), 'zone name')).to.throw(UsageError, 'is 10000 characters long: at most 255')
  })

  it('reads only the flags given, and fills Kasm\'s defaults for a new zone', () => {
    const settings = settingsFromFlags({'load-strategy': 'most-load', 'proxy-port': '0', 'search-alternate': false, verbose: true})
    expect(settings).to.deep.equal({load_strategy: 'most_load', proxy_port: 0, search_alternate_zones: false})
    const full = withDefaults(settings)
    expect(full).to.include({load_strategy: 'most_load', proxy_hostname: '$request_host$', proxy_path: 'desktop', proxy_port: 0, search_alternate_zones: false})
    expect(Object.keys(full)).to.have.length(ZONE_SETTINGS.length)
  })
})
