import {expect} from 'chai'

import {UsageError} from '../../../src/lib/errors.js'
import {isKasmId, normalizeId, parseKasmId, sameId, shortId} from '../../../src/lib/kasm/ids.js'
import {formatKasmDate, normalizeKasm, normalizeZone, normalizeServer, parseKasmDate} from '../../../src/lib/kasm/normalize.js'

describe('Kasm ids and field normalisation', () => {
  const hex = '6b2f0c8e4d1a4a0f9a3e5c7d2b1f0e9a'
  const dashed = '6B2F0C8E-4D1A-4A0F-9A3E-5C7D2B1F0E9A'

  it('accepts dashed and upper-case ids and emits 32 lower-case hex', () => {
    expect(normalizeId(dashed)).to.equal(hex)
    expect(parseKasmId(dashed)).to.equal(hex)
    expect(isKasmId(hex)).to.equal(true)
    expect(sameId(hex, dashed)).to.equal(true)
    expect(shortId(dashed)).to.equal('6b2f0c8e')
  })

  it('rejects what is not an id, naming the value', () => {
    expect(() => parseKasmId('zone-1', 'zone id')).to.throw(UsageError, 'zone id "zone-1" is not a Kasm id')
  })

  it('reads 1.15 (memory) and 1.19 (memory_bytes) names into the same fields', () => {
    const v115 = normalizeServer({memory: 8e9, memory_override: 4e9, server_id: dashed})
    const v119 = normalizeServer({memory_bytes: 8e9, memory_override_bytes: 4e9, server_id: hex})
    expect(v115).to.deep.include({memory: 8e9, memory_override: 4e9, server_id: hex})
    expect(v119).to.deep.include({memory: 8e9, memory_override: 4e9, server_id: hex})
    expect(v119).to.not.have.property('memory_bytes')
    expect(normalizeKasm({kasm_id: dashed, memory_bytes: 2768000000}).memory).to.equal(2768000000)
  })

  it('reads a zone\'s free memory and its servers\' memory in either form', () => {
    const v119 = normalizeZone({available_memory_bytes: 6e9, servers: [{memory_bytes: 8e9, server_id: dashed}], zone_id: dashed, zone_name: 'east'})
    expect(v119).to.deep.include({available_memory: 6e9, zone_id: hex})
    expect(v119).to.not.have.property('available_memory_bytes')
    expect(v119.servers![0]).to.include({memory: 8e9, server_id: hex})
    expect(normalizeZone({available_memory: 5e9, zone_id: hex, zone_name: 'east'}).available_memory).to.equal(5e9)
  })

  it('parses and formats Kasm datetimes as naive UTC', () => {
    const date = parseKasmDate('2024-03-05 22:18:50.063048')!
    expect(date.toISOString()).to.equal('2024-03-05T22:18:50.063Z')
    expect(formatKasmDate(date)).to.equal('2024-03-05 22:18:50.063000')
    expect(parseKasmDate('garbage')).to.equal(undefined)
  })
})
