import {expect} from 'chai'

import {combineVersion, describeVersion, versionFromApiShape, versionFromDatabase} from '../../../src/lib/kasm/version.js'
import {ZONE_SETTINGS, withDefaults} from '../../../src/lib/zones/settings.js'

/** A zone as each release's get_zones returns it: the classic fields, and the RDP fields it has. */
const zoneOf = (release: '1.15' | '1.16' | '1.19') => {
  const fields = ZONE_SETTINGS.filter((spec) => !spec.since || release === '1.19' || (release === '1.16' && spec.since === '1.16'))
  const defaults = withDefaults({}) as unknown as Record<string, unknown>
  return {zone_id: 'a'.repeat(32), zone_name: 'default', ...Object.fromEntries(fields.map((spec) => [spec.field, defaults[spec.field]]))}
}

describe('Kasm version detection', () => {
  describe('from the database', () => {
    it('knows the documented alembic revisions of 1.16.1 and 1.19.0', () => {
      expect(versionFromDatabase({alembicRevision: '8ddb88a590be', postgresMajor: 14})).to.deep.equal({evidence: 'alembic revision 8ddb88a590be', version: '1.16'})
      expect(versionFromDatabase({alembicRevision: 'bfc22f00ad19', postgresMajor: 15})?.version).to.equal('1.19')
    })

    it('takes an unknown revision on PostgreSQL 12 for 1.15 (the only release that ships 12)', () => {
      expect(versionFromDatabase({alembicRevision: '0123456789ab', postgresMajor: 12})?.version).to.equal('1.15')
      expect(versionFromDatabase({alembicRevision: '0123456789ab', postgresMajor: 14})).to.equal(undefined)
    })
  })

  describe("from the API's shape", () => {
    it('tells the releases apart by the RDP fields of get_zones: none, only proxy_rdp_client_connections, all 7', () => {
      expect(versionFromApiShape({zones: [zoneOf('1.15')]})).to.deep.equal({evidence: 'get_zones has 0 of the 7 RDP fields', version: '1.15'})
      expect(versionFromApiShape({zones: [zoneOf('1.16')]})?.version).to.equal('1.16')
      expect(versionFromApiShape({zones: [zoneOf('1.19')]})?.version).to.equal('1.19')
    })

    it('says "no known release" for a shape none has, and falls back to the servers\' memory names without zones', () => {
      const odd = {...zoneOf('1.15'), proxy_rdp_port: 443}
      expect(versionFromApiShape({zones: [odd]})).to.deep.equal({evidence: 'get_zones has 1 of the 7 RDP fields (proxy_rdp_port): a shape no known release has', version: null})
      expect(versionFromApiShape({servers: [{memory_bytes: 1}], zones: []})?.version).to.equal('1.19')
      expect(versionFromApiShape({servers: [{memory: 1}]})?.version).to.equal(null)
      expect(versionFromApiShape({servers: [], zones: []})).to.equal(undefined)
    })
  })

  describe('both together', () => {
    it('prefers a known revision, and reads 1.15 (undocumented revision) from the API without a warning', () => {
      expect(combineVersion({alembicRevision: 'bfc22f00ad19', postgresMajor: 15}, {evidence: 'x', version: '1.15'})).to.include({source: 'database', version: '1.19', warning: null})
      expect(combineVersion({alembicRevision: 'feedc0ffee00', postgresMajor: 15}, versionFromApiShape({zones: [zoneOf('1.15')]}))).to.include({
        alembicRevision: 'feedc0ffee00', source: 'api', version: '1.15', warning: null,
      })
    })

    it('warns, never refuses, for a revision it does not know on a newer-looking API, or when nothing tells', () => {
      const newer = combineVersion({alembicRevision: 'feedc0ffee00', postgresMajor: 16}, versionFromApiShape({zones: [zoneOf('1.19')]}))
      expect(newer).to.include({source: 'api', version: '1.19'})
      expect(newer.warning).to.equal('alembic revision feedc0ffee00 is not one kasmctl knows (it knows 1.15, 1.16, 1.19); the API looks like 1.19: a newer release may differ.')
      const nothing = combineVersion(undefined, undefined)
      expect(nothing).to.include({source: 'none', version: null})
      expect(nothing.warning).to.equal('Kasm version unknown: neither the database nor the API could be read. kasmctl knows 1.15, 1.16, 1.19; carrying on.')
      expect(describeVersion(nothing)).to.equal('unknown (neither the database nor the API could be read)')
      expect(describeVersion(newer)).to.equal('1.19 (api: get_zones has 7 of the 7 RDP fields)')
    })
  })
})
