import {expect} from 'chai'

import type {Server, Zone} from '../../../src/lib/kasm/types.js'
import {parseZonesFile} from '../../../src/lib/zones/file.js'
import {type LintFacts, evaluateLint, lintStatus, lintZones} from '../../../src/lib/zones/lint.js'
import {useSandbox} from '../../helpers/sandbox.js'

const agent = (enabled = true): Server => ({enabled, hostname: 'agent', server_id: 'c'.repeat(32), server_type: 'host'})
const zone = (extra: Partial<Zone> = {}): Zone => ({
  proxy_hostname: '$request_host$',
  proxy_port: 0,
  search_alternate_zones: true,
  servers: [agent(), agent()],
  upstream_auth_address: 'api.internal',
  zone_id: 'a'.repeat(32),
  zone_name: 'east',
  ...extra,
})
const facts = (extra: Partial<LintFacts> = {}): LintFacts => ({autoscale: new Map(), enclaves: new Set(), proxies: [], ...extra})
const rules = (zones: Zone[], f: LintFacts) => evaluateLint(zones, f).map((finding) => `${finding.severity} ${finding.zone} ${finding.rule}`)

describe('zone lint', () => {
  describe('rules', () => {
    it('finds nothing in a well-configured zone', () => {
      expect(evaluateLint([zone()], facts())).to.deep.equal([])
      expect(lintStatus([])).to.deep.equal({exitCode: 0, status: 'ok'})
    })

    it('an enclave must not search alternate zones', () => {
      const enclave = facts({enclaves: new Set(['east'])})
      expect(rules([zone()], enclave)).to.deep.equal(['error east enclave-search-alternate'])
      expect(rules([zone({search_alternate_zones: false})], enclave)).to.deep.equal([])
      const [finding] = evaluateLint([zone()], enclave)
      expect(finding.reason).to.include('cross-zone fallback would violate the policy the zone boundary enforces')
    })

    it('AutoScaling needs an explicit upstream auth address ($request_host$ and proxy are defaults)', () => {
      const autoscale = facts({autoscale: new Map([['a'.repeat(32), ['east-pool']]])})
      expect(rules([zone({upstream_auth_address: '$request_host$'})], autoscale)).to.deep.equal(['error east autoscale-upstream-auth'])
      expect(rules([zone({upstream_auth_address: 'proxy'})], autoscale)).to.deep.equal(['error east autoscale-upstream-auth'])
      expect(rules([zone({upstream_auth_address: '$request_host$'})], facts())).to.deep.equal([])
      expect(rules([zone()], autoscale)).to.deep.equal([])
    })

    it('the proxy host and port must be one of the context\'s reverse proxies ($request_host$ and port 0 match any)', () => {
      const proxies = facts({proxies: [{host: 'kasm.example.com', port: 443, url: 'https://kasm.example.com'}]})
      expect(rules([zone()], proxies)).to.deep.equal([])
      expect(rules([zone({proxy_hostname: 'kasm.example.com', proxy_port: 443})], proxies)).to.deep.equal([])
      expect(rules([zone({proxy_port: 8443})], proxies)).to.deep.equal(['warning east proxy-mismatch'])
      expect(rules([zone({proxy_hostname: 'old.example.com'})], proxies)).to.deep.equal(['warning east proxy-mismatch'])
      expect(rules([zone({proxy_connections: false, proxy_hostname: 'old.example.com'})], proxies)).to.deep.equal([])
      expect(rules([zone({proxy_port: 8443})], facts())).to.deep.equal([], 'no proxies in the context: nothing to compare with')
    })

    it('a zone needs 2 enabled agents', () => {
      expect(rules([zone({servers: [agent(), agent(false)]})], facts())).to.deep.equal(['warning east ha-min-agents'])
      expect(evaluateLint([zone({servers: []})], facts())[0].message).to.equal('no enabled agent: no session can start in this zone')
    })

    it('puts errors first; warnings only exit 1, any error exits 2', () => {
      const found = evaluateLint([zone({servers: []}), zone({zone_name: 'lab'})], facts({enclaves: new Set(['lab'])}))
      expect(found.map((f) => f.severity)).to.deep.equal(['error', 'warning'])
      expect(lintStatus(found)).to.deep.equal({exitCode: 2, status: 'error'})
      expect(lintStatus(found.slice(1))).to.deep.equal({exitCode: 1, status: 'warning'})
    })
  })

  describe('against the sandbox', () => {
    before(async () => {
      await (await useSandbox()).reset()
    })

    it('finds the seeded bad zones: east (autoscale, default upstream auth) and enclave (search alternate, 1 agent)', async () => {
      const sandbox = await useSandbox()
      const [client, db] = await Promise.all([sandbox.client(), sandbox.db()])
      try {
        const findings = await lintZones({client, context: sandbox.context, db})
        const errors = findings.filter((f) => f.severity === 'error').map((f) => `${f.zone} ${f.rule}`)
        expect(errors).to.deep.equal(['east autoscale-upstream-auth', 'enclave enclave-search-alternate'])
        expect(findings.find((f) => f.rule === 'autoscale-upstream-auth')!.message).to.include('east-autoscale')
        expect(findings.filter((f) => f.rule === 'ha-min-agents').map((f) => f.zone)).to.deep.equal(['enclave'])
      } finally {
        client.close()
        await db.end()
      }
    })

    it('when Kasm does not show its autoscale configs (key without AUTOSCALE_VIEW) and there is no database, infers AutoScaling from autoscaled agents', async () => {
      const sandbox = await useSandbox()
      const [client, db] = await Promise.all([sandbox.client('limited'), sandbox.db()])
      try {
        const before = await lintZones({client, context: sandbox.context})
        expect(before.map((f) => f.rule)).to.not.include('autoscale-upstream-auth')
        // An agent that AutoScaling started: the API then shows the config on the agent.
        await db.query(`UPDATE servers SET autoscale_config_id = (SELECT autoscale_config_id FROM autoscale_configs LIMIT 1) WHERE hostname = 'agent-4'`)
        const after = await lintZones({client, context: sandbox.context})
        expect(after.filter((f) => f.rule === 'autoscale-upstream-auth').map((f) => f.zone)).to.deep.equal(['east'])
      } finally {
        client.close()
        await db.end()
        await sandbox.reset()
      }
    })

    it('reads the enabled configs from Kasm\'s API when it shows them, without a database', async () => {
      const sandbox = await useSandbox()
      const client = await sandbox.client()
      try {
        const findings = await lintZones({client, context: sandbox.context})
        expect(findings.find((f) => f.rule === 'autoscale-upstream-auth')).to.include({zone: 'east'})
        await sandbox.fault({kind: 'autoscale-unlicensed'})
        const unlicensed = await lintZones({client, context: sandbox.context})
        expect(unlicensed.map((f) => f.rule), 'no licence: inferred from agents (none autoscaled)').to.not.include('autoscale-upstream-auth')
      } finally {
        client.close()
        await sandbox.clearFaults()
      }
    })

    it('with a zones file, checks the zones as the file would leave them, with its enclave marks', async () => {
      const sandbox = await useSandbox()
      const client = await sandbox.client()
      try {
        const file = parseZonesFile('version: 1\nzones:\n  enclave:\n    search_alternate_zones: false\n  default:\n    enclave: true\n', 'zones.yaml')
        const findings = await lintZones({client, context: sandbox.context, file})
        const enclaveRule = findings.filter((f) => f.rule === 'enclave-search-alternate').map((f) => f.zone)
        expect(enclaveRule).to.deep.equal(['default'])
      } finally {
        client.close()
      }
    })
  })
})
