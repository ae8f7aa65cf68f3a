import {expect} from 'chai'

import type {ProxyFindings} from '../../../src/lib/health/checks/proxies.js'
import {diagnose} from '../../../src/lib/health/diagnosis.js'
import type {WebappProbe} from '../../../src/lib/health/run-context.js'

// The reverse-proxy guide's troubleshooting order, on results as the checks record them. Cases the
// sandbox cannot stage (a firewall between one proxy host and one web app) are covered here.
const up = (name: string): WebappProbe => ({healthy: true, name, probe: {body: '{"ok": true}', latencyMs: 5, status: 200}, url: `https://${name}`})
const down = (name: string, error = 'connection refused'): WebappProbe => ({healthy: false, name, probe: {error, latencyMs: 1}, url: `https://${name}`})
const proxy = (findings: Partial<ProxyFindings>): ProxyFindings => ({
  entry: {label: 'lb-1', url: 'https://kasm.example.com'},
  reachableFromProxy: [],
  unreachableFromProxy: [],
  ...findings,
})

describe('health diagnosis', () => {
  it('starts with the web apps when none answers directly', () => {
    const lines = diagnose({checks: [], proxies: [proxy({through: {latencyMs: 3, status: 502}})], webapps: [down('web-1'), down('web-2', 'HTTP 500')]})
    expect(lines).to.deep.equal([
      'No web app passes its healthcheck directly (web-1: connection refused; web-2: HTTP 500): fix the web apps before the proxies — start the Kasm services (/opt/kasm/bin/start) and check that they reach the database.',
    ])
  })

  it('blames the network when a web app answers directly but not from the proxy host', () => {
    const lines = diagnose({
      checks: [],
      proxies: [proxy({reachableFromProxy: ['web-1'], through: {body: '{"ok": true}', latencyMs: 3, status: 200}, unreachableFromProxy: [{reason: 'curl: (28) Connection timed out', webapp: 'web-2'}]})],
      webapps: [up('web-1'), up('web-2')],
    })
    expect(lines).to.deep.equal(['web-2 answers directly but not from proxy lb-1 (curl: (28) Connection timed out): a network or firewall problem between the proxy and the web app.'])
  })

  it('blames the proxy configuration when the web apps answer directly and from the proxy, but not through it', () => {
    const lines = diagnose({checks: [], proxies: [proxy({reachableFromProxy: ['web-1'], through: {latencyMs: 3, status: 404}})], webapps: [up('web-1')]})
    expect(lines).to.deep.equal([
      "The web apps answer directly and from lb-1, but not through https://kasm.example.com (HTTP 404): the proxy's configuration is wrong (upstream addresses, server_name, TLS); consult its documentation.",
    ])
  })

  it('names the failing web apps a proxy still routes to', () => {
    const lines = diagnose({checks: [], proxies: [proxy({through: {latencyMs: 3, status: 500}})], webapps: [up('web-1'), down('web-2', 'HTTP 500')]})
    expect(lines[1]).to.equal(
      'https://kasm.example.com answered HTTP 500: it still routes requests to web apps that fail directly (web-2); give the proxy health checks on its upstreams (/api/__healthcheck) or remove them.',
    )
  })
})
