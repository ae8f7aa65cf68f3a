import {expect} from 'chai'

import {compareNames, hasControlCharacter} from '../../src/lib/text.js'

describe('text', () => {
  describe('compareNames', () => {
    it('orders names case-insensitively, the lowercase one first when they differ only in case', () => {
      expect(['beta', 'Alpha', 'alpha', 'ALPHA', 'Beta'].sort(compareNames)).to.deep.equal(['alpha', 'Alpha', 'ALPHA', 'beta', 'Beta'])
    })

    it('orders by code unit, whatever the locale (localeCompare in Lithuanian puts y before j)', () => {
      expect('y'.localeCompare('j', 'lt')).to.be.lessThan(0)
      expect(['y', 'j', 'i'].sort(compareNames)).to.deep.equal(['i', 'j', 'y'])
      expect(['zone-10', 'zone_2', 'zone-2', 'zone 1'].sort(compareNames)).to.deep.equal(['zone 1', 'zone-10', 'zone-2', 'zone_2'])
    })

    it('finds equal names equal', () => {
      expect(compareNames('east', 'east')).to.equal(0)
    })
  })

  describe('hasControlCharacter', () => {
    it('finds newlines, escapes and DEL, and nothing in printable text', () => {
      expect(['a\nb', '\u001B[31m', 'x\u007F'].map(hasControlCharacter)).to.deep.equal([true, true, true])
      expect(hasControlCharacter('zone east (ü)')).to.equal(false)
    })
  })
})
