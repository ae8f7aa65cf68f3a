import {expect} from 'chai'

import {managedService} from '../../../src/lib/ha/facts.js'

describe('ha facts: managed database endpoints', () => {
  it('recognises the managed PostgreSQL services of the HA guide\'s table by host name', () => {
    expect(managedService('kasm.cluster-c1a2b3.eu-west-1.rds.amazonaws.com')).to.equal('AWS RDS / Aurora')
    expect(managedService('kasm.postgres.database.azure.com')).to.equal('Azure Database for PostgreSQL')
    expect(managedService('db.internal.example.com')).to.equal(undefined)
    expect(managedService('127.0.0.1')).to.equal(undefined)
  })
})
