import {expect} from 'chai'
import {readFile} from 'node:fs/promises'

import {readYamlScalar, setYamlScalar, YamlEditError} from '../../../src/lib/hosts/yaml-edit.js'

/** The sandbox's api.app.config.yaml template: Kasm's layout, comments, and the logging block's `? ''` keys. */
const TEMPLATE = new URL('../../../src/lib/sandbox/templates/api.app.config.yaml', import.meta.url)

/** Lines that differ between two texts of the same line count, as [line number, before, after]. */
function changedLines(before: string, after: string): Array<[number, string, string]> {
  const a = before.split('\n')
  const b = after.split('\n')
  expect(b.length, 'line count').to.equal(a.length)
  return a.flatMap((line, index) => (line === b[index] ? [] : [[index + 1, line, b[index]] as [number, string, string]]))
}

describe('hosts: YAML edits', () => {
  let apiConfig: string

  before(async () => {
    apiConfig = (await readFile(TEMPLATE, 'utf8')).replaceAll(/\{\{\w+\}\}/g, 'x0')
  })

  it("changes server.zone_name and nothing else: comments, order, quoting and the `? ''` keys stay byte for byte", () => {
    const edited = setYamlScalar(apiConfig, ['server', 'zone_name'], 'east')
    expect(changedLines(apiConfig, edited)).to.deep.equal([[23, '  zone_name: default', '  zone_name: east']])
    expect(edited).to.include("    ? ''\n    : handlers:")
    expect(readYamlScalar(edited, ['server', 'zone_name'])).to.equal('east')
  })

  it('keeps a trailing comment and the quoting style of the old value', () => {
    const text = 'kasmguac:\n  zone: "default"   # set by install.sh\nrdp-gateway:\n  zone: \'default\'\nother: plain # x\n'
    const once = setYamlScalar(text, ['kasmguac', 'zone'], 'east')
    const twice = setYamlScalar(once, ['rdp-gateway', 'zone'], "o'brien")
    expect(twice).to.equal('kasmguac:\n  zone: "east"   # set by install.sh\nrdp-gateway:\n  zone: \'o\'\'brien\'\nother: plain # x\n')
  })

  it('quotes a value that would not read back as the same string when left plain (YAML 1.2, and 1.1 as PyYAML reads it)', () => {
    const text = 'server:\n  zone_name: default\n'
    for (const value of ['yes', 'off', '0o17', '1:30', '123', 'null', 'a: b', '#east', '[east]', '*east', "east; rm -rf / #'", '  padded', '']) {
      const edited = setYamlScalar(text, ['server', 'zone_name'], value)
      expect(readYamlScalar(edited, ['server', 'zone_name']), JSON.stringify(value)).to.equal(value)
      expect(edited.split('\n')[0]).to.equal('server:')
    }

    expect(setYamlScalar(text, ['server', 'zone_name'], 'us-east 1')).to.equal('server:\n  zone_name: us-east 1\n')
    expect(setYamlScalar(text, ['server', 'zone_name'], 'yes')).to.equal('server:\n  zone_name: "yes"\n')
  })

  it('refuses a missing key, a key that is not a single value, and a file that is not YAML', () => {
    expect(() => setYamlScalar('server:\n  server_id: 1\n', ['server', 'zone_name'], 'east')).to.throw(YamlEditError, 'no server.zone_name')
    expect(() => setYamlScalar('server:\n  zone_name: [a, b]\n', ['server', 'zone_name'], 'east')).to.throw(YamlEditError, 'not a single value')
    expect(() => readYamlScalar('server: [unclosed\n', ['server', 'zone_name'])).to.throw(YamlEditError, 'not valid YAML')
  })

  it('reads a missing key as undefined, and numbers as written', () => {
    expect(readYamlScalar('server:\n  zone_name: 2024\n', ['server', 'zone_name'])).to.equal('2024')
    expect(readYamlScalar('server: {}\n', ['server', 'zone_name'])).to.equal(undefined)
  })
})
