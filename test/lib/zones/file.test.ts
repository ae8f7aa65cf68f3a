import {expect} from 'chai'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {Readable} from 'node:stream'

import {UsageError} from '../../../src/lib/errors.js'
import type {Zone} from '../../../src/lib/kasm/types.js'
import {exportDocument, exportYaml, MAX_ZONES_FILE_BYTES, parseZonesFile, readZonesFile} from '../../../src/lib/zones/file.js'
import {planZones} from '../../../src/lib/zones/plan.js'

function problemsOf(text: string): string[] {
  try {
    parseZonesFile(text, 'zones.yaml')
  } catch (error) {
    expect(error).to.be.instanceOf(UsageError)
    return ((error as UsageError).details?.problems as string[]) ?? []
  }

  throw new Error('expected the file to be refused')
}

describe('zones file', () => {
  it('reads 8,000 zones (a big deployment) and plans them against Kasm', () => {
    // Correctness at scale; the speed target is in bench/. Duplicate keys used to be checked pairwise.
    const names = Array.from({length: 8000}, (_, index) => `zone-${index}`)
    const text = `version: 1\nzones:\n${names.map((name) => `  ${name}:\n    proxy_port: 443\n    proxy_hostname: $request_host$\n`).join('')}`
    const file = parseZonesFile(text, 'big.yaml')
    expect(file.zones.map((zone) => zone.name)).to.deep.equal(names)
    const live = names.slice(0, 4000).map((zone_name, index) => ({proxy_hostname: '$request_host$', proxy_port: index % 2 ? 443 : 8443, zone_id: index.toString(16).padStart(32, '0'), zone_name}) as Zone)
    const plan = planZones(live, file, {prune: false})
    expect(plan.unchanged).to.have.length(2000)
    expect(plan.actions.filter((a) => a.action === 'update')).to.have.length(2000)
    expect(plan.actions.filter((a) => a.action === 'create')).to.have.length(4000)
  })

  it('refuses a zones file over the size limit before parsing it, naming it (file and stdin)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'kasmctl-zones-'))
    try {
      const big = join(dir, 'big.yaml')
      await writeFile(big, `version: 1\nzones: {}\n# ${'x'.repeat(MAX_ZONES_FILE_BYTES)}\n`)
      const error = await readZonesFile(big).catch((e) => e)
      expect(error).to.be.instanceOf(UsageError)
      expect(error.message).to.equal(`zones file ${big} is larger than 8 MiB: that is not a zones file kasmctl can take`)
      const fromStdin = await readZonesFile('-', Readable.from([Buffer.alloc(MAX_ZONES_FILE_BYTES), Buffer.alloc(10)])).catch((e) => e)
      expect(fromStdin.message).to.include('zones file <stdin> is larger than 8 MiB')
    } finally {
      await rm(dir, {force: true, recursive: true})
    }
  })

  it('reads zones by name, with Kasm\'s field names, friendly values and enclave marks', () => {
    const file = parseZonesFile(
      [
        '# kept in git',
        'version: 1',
        'zones:',
        '  east:',
        '    load_strategy: least-sessions',
        '    search_alternate_zones: no',
        '    proxy_port: "8443"',
        '    upstream_auth_address: $request_host$',
        '  enclave:',
        '    enclave: true',
        '  lab:',
      ].join('\n'),
      'zones.yaml',
    )
    expect(file.zones).to.deep.equal([
      {enclave: false, name: 'east', settings: {load_strategy: 'least_kasms', proxy_port: 8443, search_alternate_zones: false, upstream_auth_address: '$request_host$'}},
      {enclave: true, name: 'enclave', settings: {}},
      {enclave: false, name: 'lab', settings: {}},
    ])
  })

  it('reports every unknown key, wrong type and invalid value with its line and column', () => {
    const problems = problemsOf(
      [
        'version: 2', // 1
        'zones:', // 2
        '  east:', // 3
        '    serch_alternate_zones: false', // 4
        '    search-alternate: true', // 5
        '    proxy_port: 70000', // 6
        '    load_strategy: fastest', // 7
        '    proxy_hostname: 12', // 8
        '  " padded":', // 9
        '  lab:', // 10
        '    enclave: maybe', // 11
        'extra: 1', // 12
      ].join('\n'),
    )
    expect(problems).to.have.length(9)
    expect(problems[0]).to.equal('zones.yaml:1:10: version must be 1')
    expect(problems[1]).to.match(/^zones\.yaml:4:5: east: unknown key "serch_alternate_zones": valid keys are enclave and load_strategy, /)
    expect(problems[2]).to.equal('zones.yaml:5:5: east: unknown key "search-alternate" (did you mean search_alternate_zones?)')
    expect(problems[3]).to.match(/^zones\.yaml:6:17: east\.proxy_port: 70000 is not a port/)
    expect(problems[4]).to.match(/^zones\.yaml:7:20: east\.load_strategy: "fastest" is not a load strategy: use least-load, most-load/)
    expect(problems[5]).to.equal('zones.yaml:8:21: east.proxy_hostname: 12 is not a string (quote it)')
    expect(problems[6]).to.match(/^zones\.yaml:9:3: zone name " padded" has surrounding whitespace/)
    expect(problems[7]).to.equal('zones.yaml:11:14: lab.enclave: "maybe" is not a boolean: use true or false')
    expect(problems[8]).to.equal('zones.yaml:12:1: unknown key "extra": the top level has version, zones and autoscale')
  })

  it('refuses what is not YAML, and YAML that is not a zones document, with positions', () => {
    expect(problemsOf('zones: [\n  a: b\n')[0]).to.match(/^zones\.yaml:3:1: not valid YAML: /)
    expect(problemsOf('zones:\n  east: {}\n  east: {}\n')[0]).to.equal('zones.yaml:3:3: not valid YAML: Map keys must be unique: "east" is given twice')
    expect(problemsOf('zones:\n  east: {proxy_port: 1, proxy_port: 2}\n')[0]).to.match(/^zones\.yaml:2:25: not valid YAML: Map keys must be unique: "proxy_port"/)
    expect(problemsOf('just some text')[0]).to.equal('zones.yaml:1:1: expected a mapping with `version: 1` and `zones:` (see `kasmctl zone export`)')
    expect(problemsOf('version: 1\n')[0]).to.equal('zones.yaml:1:1: missing `zones:` (a mapping of zone name to settings)')
    expect(problemsOf('zones:\n  - east\n')[0]).to.match(/^zones\.yaml:2:3: `zones` must be a mapping of zone name to settings/)
  })

  it('exports names not ids, settings not counts, and reads its own export back unchanged', () => {
    const zones: Zone[] = [
      {load_strategy: 'most_kasms', num_kasms: 4, proxy_port: 0, search_alternate_zones: false, servers: [], zone_id: 'b'.repeat(32), zone_name: 'west'},
      {available_cores: 3, load_strategy: 'least_load', proxy_hostname: '$request_host$', zone_id: 'a'.repeat(32), zone_name: 'east'},
    ]
    const document = exportDocument(zones, ['west'])
    expect(document).to.deep.equal({
      version: 1,
      zones: {
        east: {load_strategy: 'least_load', proxy_hostname: '$request_host$'},
        west: {enclave: true, load_strategy: 'most_kasms', proxy_port: 0, search_alternate_zones: false},
      },
    })
    const yaml = exportYaml(document, 'from context "prod"')
    expect(yaml.split('\n')[0]).to.equal('# from context "prod"')
    expect(yaml).to.not.include('a'.repeat(32))
    expect(parseZonesFile(yaml, 'export.yaml').zones).to.deep.equal([
      {enclave: false, name: 'east', settings: {load_strategy: 'least_load', proxy_hostname: '$request_host$'}},
      {enclave: true, name: 'west', settings: {load_strategy: 'most_kasms', proxy_port: 0, search_alternate_zones: false}},
    ])
  })
})
