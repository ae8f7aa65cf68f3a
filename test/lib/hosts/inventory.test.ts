import {expect} from 'chai'

import type {ContextConfig} from '../../../src/lib/config/types.js'
import {ConfigError, UsageError} from '../../../src/lib/errors.js'
import {selectHosts} from '../../../src/lib/hosts/inventory.js'

const context: ContextConfig = {
  api: {url: 'https://kasm.example.com'},
  hosts: [
    {name: 'guac-1', roles: ['connection-proxy']},
    {name: 'agent-1', roles: ['agent']},
    {name: 'web-1', roles: ['webapp']},
    {name: 'web-2', roles: ['webapp', 'agent']},
  ],
  name: 'prod',
}

const names = (hosts: Array<{name: string}>) => hosts.map((host) => host.name)

describe('hosts: inventory selection', () => {
  it('puts web apps first, then connection proxies, each in inventory order', () => {
    expect(names(selectHosts(context, {all: true}, {zoneHostsOnly: true}))).to.deep.equal(['web-1', 'web-2', 'guac-1'])
    expect(names(selectHosts(context, {names: ['guac-1', 'web-2']}))).to.deep.equal(['web-2', 'guac-1'])
  })

  it('selects by role, and every host when nothing is named', () => {
    expect(names(selectHosts(context, {role: 'webapp'}))).to.deep.equal(['web-1', 'web-2'])
    expect(names(selectHosts(context, {}))).to.have.length(4)
  })

  it('names the unknown host and the known ones', () => {
    expect(() => selectHosts(context, {names: ['web-3']}))
      .to.throw(UsageError, 'host "web-3" is not in the inventory of context "prod"')
      .with.property('hint', 'known hosts: guac-1, agent-1, web-1 or web-2')
  })

  it('refuses a named host without a zone (an agent) for zone edits', () => {
    expect(() => selectHosts(context, {names: ['agent-1']}, {zoneHostsOnly: true})).to.throw(UsageError, 'agent-1 has no webapp or connection-proxy role')
  })

  it('says so when the role or the whole inventory is missing', () => {
    expect(() => selectHosts(context, {role: 'db'})).to.throw(UsageError, 'no host with role db')
    expect(() => selectHosts({...context, hosts: []}, {all: true})).to.throw(ConfigError, 'has no host inventory')
    expect(() => selectHosts({...context, hosts: [{name: 'agent-1', roles: ['agent']}]}, {all: true}, {zoneHostsOnly: true})).to.throw(UsageError, 'has no webapp or connection-proxy host')
  })
})
