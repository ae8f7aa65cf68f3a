import {expect} from 'chai'

import {checkPgDumpVersion, detectVia, type PgEndpoint, toolInvocation, toolVersion} from '../../../src/lib/backup/pg-tools.js'
import {OperationError} from '../../../src/lib/errors.js'

const local: PgEndpoint = {
  database: 'kasm',
  description: 'kasmapp@db.example:5432/kasm',
  target: {database: 'kasm', host: 'db.example', password: 's3cret-password', port: 5432, source: 'context "prod"', sslmode: 'require', user: 'kasmapp'},
  user: 'kasmapp',
  via: 'local',
}

describe('lib/backup/pg-tools', () => {
  describe('checkPgDumpVersion', () => {
    it('accepts a pg_dump of the same or a newer major version', () => {
      expect(() => checkPgDumpVersion('15.2', '15.8', 150_008, 'local')).not.to.throw()
      expect(() => checkPgDumpVersion('16.1', '14.10', 140_010, 'local')).not.to.throw()
    })

    it('rejects an older pg_dump before dumping, naming both versions and the client package to install', () => {
      expect(() => checkPgDumpVersion('12.18', '13.8', 130_008, 'local'))
        .to.throw(OperationError, 'pg_dump 12.18 is older than the server (PostgreSQL 13.8) and cannot dump it')
        .with.property('hint')
        .that.contains('postgresql-client-13')
    })
  })

  describe('toolInvocation', () => {
    it('passes the connection and password to a local tool through its environment, never argv', () => {
      const call = toolInvocation(local, 'pg_dump', ['-Ft'])
      expect(call.file).to.equal('pg_dump')
      expect(call.args).to.deep.equal(['-Ft', '-d', 'kasm'])
      expect(call.args.join(' ')).not.to.contain('s3cret')
      expect(call.env).to.include({PGHOST: 'db.example', PGPASSWORD: 's3cret-password', PGPORT: '5432', PGSSLMODE: 'require', PGUSER: 'kasmapp'})
    })

    it('runs inside kasm_db through docker exec -i with the user and database as arguments', () => {
      const docker: PgEndpoint = {database: 'kasm', description: 'kasmapp@docker:kasm_db/kasm', user: 'kasmapp', via: 'docker'}
      const call = toolInvocation(docker, 'pg_dump', ['-Ft', '--exclude-table-data=logs'])
      expect([call.file, ...call.args]).to.deep.equal(['docker', 'exec', '-i', 'kasm_db', 'pg_dump', '-U', 'kasmapp', '-Ft', '--exclude-table-data=logs', '-d', 'kasm'])
      expect(toolInvocation(docker, 'pg_dump', ['--version'], null).args).to.deep.equal(['exec', '-i', 'kasm_db', 'pg_dump', '--version'])
    })
  })

  describe('running the client tools', () => {
    it('toolVersion reads the installed client tools\' versions ("15.4")', async () => {
      const tools = {...local, target: undefined}
      expect(await toolVersion(tools, 'pg_dump')).to.match(/^\d+\.\d+$/)
      expect(await toolVersion(tools, 'pg_restore')).to.equal(await toolVersion(tools, 'pg_dump'))
    })

    it('detectVia is local when no kasm_db container answers (there is no Docker engine here)', async () => {
      expect(await detectVia()).to.equal('local')
    })
  })
})
