import {expect} from 'chai'

import {fitWidths, renderTable} from '../../../src/lib/output/table.js'

interface Row {
  role: string
  verdict: string
  found: string
  impact: string
}

const ROWS: Row[] = [
  {found: 'a single instance: no streaming replica (pg_stat_replication is empty) and no managed-service endpoint', impact: 'entire platform unavailable', role: 'database', verdict: 'CRITICAL'},
  {found: 'kasm_db_prod_20261207T115245Z.tar.zst is 4s old', impact: 'entire platform unavailable', role: 'database', verdict: 'OK'},
]
const COLUMNS = [
  {get: (row: Row) => row.role, header: 'role'},
  {get: (row: Row) => row.verdict, header: 'verdict'},
  {get: (row: Row) => row.found, header: 'found'},
  {get: (row: Row) => row.impact, header: 'failure impact'},
]

const words = (text: string) => text.split(/\s+/).filter(Boolean).sort()

describe('lib/output/table', () => {
  it('without a width (a pipe, a file) every row is one line, whatever its length', () => {
    const lines = renderTable(COLUMNS, ROWS, {width: undefined}).split('\n')
    expect(lines).to.have.length(3)
    expect(lines[0]).to.match(/^ROLE {7}VERDICT {4}FOUND +FAILURE IMPACT$/)
    expect(lines[1]).to.include(ROWS[0].found)
  })

  it('a table that fits its terminal is not changed', () => {
    const whole = renderTable(COLUMNS, ROWS, {width: undefined})
    const widest = Math.max(...whole.split('\n').map((line) => line.length))
    expect(renderTable(COLUMNS, ROWS, {width: widest})).to.equal(whole)
    expect(fitWidths([['a', 'b']], 80)).to.equal(undefined)
  })

  it('on a narrower terminal the widest column wraps at word boundaries: every line fits, no word is lost', () => {
    const table = renderTable(COLUMNS, ROWS, {width: 80})
    const lines = table.split('\n')
    expect(Math.max(...lines.map((line) => line.length))).to.be.at.most(80)
    expect(lines.length).to.be.greaterThan(3)
    expect(lines[0]).to.match(/^ROLE {7}VERDICT {4}FOUND +FAILURE IMPACT$/)
    const expected = ['ROLE', 'VERDICT', 'FOUND', 'FAILURE', 'IMPACT', ...ROWS.flatMap((row) => Object.values(row).flatMap((value) => value.split(/\s+/)))]
    expect(words(table)).to.deep.equal(expected.sort())
  })

  it('never cuts a word (a file name, an id): its column stays as wide as the word', () => {
    const widths = fitWidths([['FOUND', 'IMPACT'], ['kasm_db_prod_20261207T115245Z.tar.zst is 4s old', 'entire platform unavailable']], 40)!
    expect(widths[0]).to.equal('kasm_db_prod_20261207T115245Z.tar.zst'.length)
    const table = renderTable(COLUMNS, ROWS, {width: 50})
    expect(table).to.include('kasm_db_prod_20261207T115245Z.tar.zst').and.not.include('…')
  })
})
