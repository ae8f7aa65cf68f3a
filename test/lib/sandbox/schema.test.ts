import {expect} from 'chai'

import {schemaFor, schemaText} from '../../../src/lib/sandbox/schema.js'

describe('sandbox schema variants', () => {
  const sql = `CREATE TABLE t (
  a int,
  b int, -- kasm 1.16+
  c int -- kasm 1.19+
);
-- kasm 1.19+ {
CREATE TABLE newer (x int);
-- }
CREATE TABLE u (y int);`

  it('leaves out the lines and blocks marked for a later release, and the comma they leave behind', () => {
    expect(schemaText(sql, '1.15')).to.equal('CREATE TABLE t (\n  a int\n);\nCREATE TABLE u (y int);')
    expect(schemaText(sql, '1.16')).to.equal('CREATE TABLE t (\n  a int,\n  b int -- kasm 1.16+\n);\nCREATE TABLE u (y int);')
    expect(schemaText(sql, '1.19')).to.equal('CREATE TABLE t (\n  a int,\n  b int, -- kasm 1.16+\n  c int -- kasm 1.19+\n);\nCREATE TABLE newer (x int);\nCREATE TABLE u (y int);')
  })

  it('refuses a mark that names no known release', () => {
    expect(() => schemaText('x int -- kasm 1.17+', '1.19')).to.throw('schema.sql: "kasm 1.17+" names no known release (1.15, 1.16, 1.19)')
  })

  it('gives 1.15 zones without RDP columns, 1.16 with one, and 1.19 servers their new columns', async () => {
    const zones = (text: string) => /CREATE TABLE zones \(([^;]*)\);/.exec(text)![1]
    expect(zones(await schemaFor('1.15'))).to.not.include('rdp')
    expect(zones(await schemaFor('1.16')).match(/\w*rdp\w*/g)).to.deep.equal(['proxy_rdp_client_connections'])
    const servers = /CREATE TABLE servers \(([^;]*)\);/.exec(await schemaFor('1.19'))![1]
    for (const column of ['max_simultaneous_users', 'drain_time', 'gpu_exclusions', 'server_template_id']) expect(servers).to.include(column)
    expect(/CREATE TABLE servers \(([^;]*)\);/.exec(await schemaFor('1.15'))![1]).to.not.include('drain_time')
  })
})
