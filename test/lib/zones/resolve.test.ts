import {expect} from 'chai'

import {NotFoundError, UsageError} from '../../../src/lib/errors.js'
import type {Zone} from '../../../src/lib/kasm/types.js'
import {chooseZone, resolveZone} from '../../../src/lib/zones/resolve.js'

const zones: Zone[] = [
  {zone_id: '6b2f0c8e4d1a4a0f9a3e5c7d2b1f0e9a', zone_name: 'default'},
  {zone_id: '6b2f99004d1a4a0f9a3e5c7d2b1f0e9b', zone_name: 'east'},
  {zone_id: 'a0000000000000000000000000000001', zone_name: 'Lab'},
]

describe('resolving a ZONE argument', () => {
  it('finds a zone by name, full id, dashed upper-case id and unique id prefix', () => {
    expect(resolveZone(zones, 'east').zone_name).to.equal('east')
    expect(resolveZone(zones, '6b2f0c8e4d1a4a0f9a3e5c7d2b1f0e9a').zone_name).to.equal('default')
    expect(resolveZone(zones, '6B2F0C8E-4D1A-4A0F-9A3E-5C7D2B1F0E9A').zone_name).to.equal('default')
    expect(resolveZone(zones, '6b2f99').zone_name).to.equal('east')
    expect(resolveZone(zones, 'lab').zone_name).to.equal('Lab')
  })

  it('lists the matches of an ambiguous prefix', () => {
    expect(() => resolveZone(zones, '6b2f')).to.throw(NotFoundError, '"6b2f" matches 2 zones: default (6b2f0c8e) or east (6b2f9900)')
  })

  it('lists the known zones for an unknown one, and ignores id prefixes shorter than 4', () => {
    expect(() => resolveZone(zones, 'west')).to.throw(NotFoundError, 'no zone "west": known zones: default, east, Lab')
    expect(() => resolveZone(zones, 'a0')).to.throw(NotFoundError, 'no zone "a0"')
  })

  it('without an argument uses the context default, else refuses off a terminal naming the zones', async () => {
    const context = {api: {url: 'https://kasm'}, defaultZone: 'east', name: 'prod'}
    expect((await chooseZone(zones, undefined, {context, interactive: false})).zone_name).to.equal('east')
    expect((await chooseZone(zones, 'Lab', {context, interactive: false})).zone_name).to.equal('Lab')
    const noDefault = {api: {url: 'https://kasm'}, name: 'prod'}
    let error: unknown
    await chooseZone(zones, undefined, {context: noDefault, interactive: false}).catch((error_) => (error = error_))
    expect(error).to.be.instanceOf(UsageError)
    expect((error as Error).message).to.equal('no ZONE given and context "prod" has no defaultZone: name one of default, east or Lab')
  })
})
