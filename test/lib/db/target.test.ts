import {expect} from 'chai'

import {quoteIdent, quoteLiteral} from '../../../src/lib/db/target.js'

describe('SQL quoting for statements sent without parameters (backup restore through psql)', () => {
  it('quotes a database name that is not a plain identifier, so PostgreSQL takes it as one name', () => {
    expect(quoteIdent('kasm-prod')).to.equal('"kasm-prod"')
    expect(quoteIdent('Kasm')).to.equal('"Kasm"')
    expect(quoteIdent('a"b')).to.equal('"a""b"')
  })

  it('quotes a string literal, doubling its single quotes', () => {
    expect(quoteLiteral('kasm')).to.equal("'kasm'")
    expect(quoteLiteral("o'brien")).to.equal("'o''brien'")
  })
})
