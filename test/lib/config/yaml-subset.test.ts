import {expect} from 'chai'
import {parse, stringify} from 'yaml'

import type {ConfigFile} from '../../../src/lib/config/types.js'
import {parseYamlSubset} from '../../../src/lib/config/yaml-subset.js'

/** The fast reader must give exactly what `yaml` gives, or decline (undefined) so that `yaml` is used. */
function agrees(text: string): void {
  const fast = parseYamlSubset(text)
  expect(fast, `declined:\n${text}`).not.to.equal(undefined)
  expect(fast, text).to.deep.equal(parse(text))
}

function declines(text: string): void {
  expect(parseYamlSubset(text), text).to.equal(undefined)
}

const sandboxLike: ConfigFile = {
  contexts: [
    {
      api: {auth: 'body', key: 'AE2v8efzKJrc', secret: {file: '/tmp/sb/secrets/admin.secret'}, timeoutMs: 15_000, tls: {caFile: '/tmp/sb/tls/ca.pem', insecure: false}, url: 'https://127.0.0.1:40661'},
      backup: {dir: '/tmp/sb/backups', keep: 7, minKeep: 2},
      database: {password: {file: '/tmp/sb/kasmapp.password'}, url: 'postgres://kasmapp@127.0.0.1:39483/kasm?sslmode=require'},
      defaultZone: 'default',
      enclaves: ['enclave'],
      hosts: [
        {address: '127.0.0.1', kasmRoot: '/tmp/sb/hosts/webapp-1/opt/kasm', name: 'webapp-1', roles: ['webapp'], url: 'http://127.0.0.1:40959'},
        {name: 'agent-1', roles: ['agent', 'db'], ssh: 'root@10.0.0.5', sshOptions: ['-p', '2222', '-o', 'StrictHostKeyChecking=no', '-F', '/etc/ssh config']},
      ],
      name: 'sandbox',
      proxies: ['http://127.0.0.1:44037', 'https://127.0.0.1:40661'],
      sandbox: true,
    },
    {api: {key: 'k', secret: {env: 'LAB_SECRET'}, url: 'https://kasm.lab/'}, hosts: [], name: 'lab'},
    {api: {key: '123', secret: {value: `s3cr"et: #not-a-comment 'quoted' \\ back`}, url: 'https://kasm.example.com'}, enclaves: [], name: 'prod.eu@2'},
  ],
  currentContext: 'sandbox',
}

describe('the config file reader (a YAML subset, checked against `yaml`)', () => {
  it('reads what kasmctl writes, for every kind of value a context holds', () => {
    agrees(stringify(sandboxLike, {lineWidth: 0}))
    agrees(stringify({contexts: []}, {lineWidth: 0}))
  })

  it('reads strings that look like other things exactly as `yaml` does (quoted when written)', () => {
    const tricky = ['2222', '0x1F', '0o17', '1e3', '.5', '-1', 'true', 'False', 'null', '~', '', ' padded ', 'a: b', 'a #b', '#x', '- x', '[x]', '{x}', '&a', '*a', '!t', '|', '>', '@x', '`x', '%x', "it's", 'say "hi"', 'tab\there', 'back\\slash', 'ünïcødé ✓', '😀', 'yes', 'no', 'on', '1_000', '+.inf', '.NaN', 'x:y', 'key:', '?x', ',x', '-x', '12:30', 'C:\\path']
    for (const value of tricky) agrees(stringify({list: [value], value}, {lineWidth: 0}))
  })

  it('agrees with `yaml` on 500 generated configs whose strings mix every special character', () => {
    // A fixed-seed generator: the same strings on every run, so a failure can be reproduced.
    let seed = 14
    const random = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31)
    const alphabet = ['a', 'Z', '0', '7', ' ', ':', '#', '-', '?', "'", '"', '\\', '[', ']', '{', '}', ',', '&', '*', '!', '|', '>', '%', '@', '`', '.', '~', 'é', '\t']
    const word = () => Array.from({length: Math.floor(random() * 8)}, () => alphabet[Math.floor(random() * alphabet.length)]).join('')
    let read = 0
    for (let i = 0; i < 500; i++) {
      const text = stringify({contexts: [{api: {key: word(), url: word()}, name: word(), proxies: [word(), word()]}], currentContext: word()}, {lineWidth: 0})
      const fast = parseYamlSubset(text)
      if (fast === undefined) continue
      read++
      expect(fast, text).to.deep.equal(parse(text))
    }

    expect(read, 'configs read without falling back to yaml').to.be.greaterThan(450)
  })

  it('reads numbers, booleans and nulls by YAML 1.2 core rules', () => {
    agrees('a: 12\nb: -3\nc: +4\nd: 012\ne: 0o17\nf: 0x1F\ng: 1.5\nh: 1e3\ni: .5\nj: 1.\nk: .inf\nl: -.Inf\nm: .nan\n')
    agrees('a: true\nb: True\nc: FALSE\nd: null\ne: ~\nf:\ng: NULL\nh: yes\ni: off\nj: 1_000\nk: 0b11\nl: -0x1F\n')
  })

  it('reads hand-written files: comments, sequences at the key indentation, flow lists, quoting styles', () => {
    agrees(`# kasmctl contexts
currentContext: prod   # the one in use

contexts:
- name: prod
  api:
    url: https://kasm.example.com:8443/   # trailing comment
    key: 'AbC''d'
    secret: {}
  proxies: [https://lb1, "https://lb2", 'x y' ,plain ]
  enclaves: []
  hosts:
    - name: web1
      roles: [webapp, agent]
      sshOptions:
      - -p
      - "2222"
    -   name: web2
        address: "10.0.0.6"
  empty:
  nested:
    deeper:
      - - a
        - b
      -
        c: d
- name: "lab \\u00e9\\t\\"x\\""
  api: {}
`)
    agrees('')
    agrees('# only a comment\n')
    agrees('key: value\r\nother: 2\r\n')
    agrees('"quoted key": 1\n\'single\': 2\nkey with spaces : 3\n')
  })

  it('declines what is outside the subset, so that `yaml` reads it (or reports the error)', () => {
    for (const text of [
      'a: &x 1\nb: *x\n',
      'a: !!str 1\n',
      'a: |\n  text\n',
      'a: >\n  folded\n',
      'a: plain\n  continued\n',
      'a: "open\n  quote"\n',
      'a: {b: 1}\n',
      'a: [[1]]\n',
      '---\na: 1\n',
      'a: 1\na: 2\n',
      '? complex\n: key\n',
      'a: b: c\n',
      '\tkey: 1\n',
      'a:\n  - 1\n b: 2\n',
      '1: one\n',
      'true: yes\n',
      'a: "\\a bell"\n',
      '\uFEFFa: 1\n',
      '__proto__: 1\n',
      stringify({secret: 'two\nlines'}), // written as a block scalar
    ]) {
      declines(text)
    }
  })

  it('every text it declines is then read by `yaml` (or is a YAML error there too)', () => {
    for (const text of ['a: &x 1\nb: *x\n', 'a: |\n  text\n', 'a: plain\n  continued\n', 'a: {b: 1}\n']) {
      declines(text)
      expect(() => parse(text)).not.to.throw()
    }

    for (const text of ['a: 1\na: 2\n', 'a: b: c\n', 'a:\n  - 1\n b: 2\n']) {
      declines(text)
      expect(() => parse(text)).to.throw()
    }
  })
})
