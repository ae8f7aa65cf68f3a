import {expect} from 'chai'

import {parseDatabaseUrl, quoteIdent, quoteLiteral} from '../../../src/lib/db/target.js'
import {ConfigError} from '../../../src/lib/errors.js'

describe('parseDatabaseUrl (a context\'s database URL, or one a command is given such as --target-url)', () => {
  it('reads user, host, port, database and sslmode, with libpq\'s defaults', () => {
    expect(parseDatabaseUrl('postgres://kasmapp@db.example.com:5433/kasm?sslmode=verify-full', '--target-url')).to.deep.include({
      database: 'kasm', host: 'db.example.com', port: 5433, sslmode: 'verify-full', user: 'kasmapp',
    })
    expect(parseDatabaseUrl('postgresql://db', 'x')).to.deep.include({database: 'kasm', port: 5432, sslmode: 'prefer', user: 'kasmapp'})
  })

  it('refuses what libpq would refuse at the first connection, with the same words as context add', () => {
    const cases: Array<[string, string]> = [
      ['db:5432', 'the database URL of --target-url must be a postgres:// URL, not db'],
      ['nope', 'the database URL of --target-url is not a URL: expected e.g. postgres://kasmapp@db:5432/kasm?sslmode=require'],
      ['postgres://db/kasm?sslmode=yes', 'the database URL of --target-url has sslmode "yes", not one of disable, prefer, require, verify-ca or verify-full'],
    ]
    for (const [url, message] of cases) expect(() => parseDatabaseUrl(url, '--target-url'), url).to.throw(ConfigError, message)
  })
})

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
