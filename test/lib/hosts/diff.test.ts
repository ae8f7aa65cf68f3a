import {expect} from 'chai'
import {execFile} from 'node:child_process'
import {mkdtemp, rm, writeFile} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {unifiedDiff} from '../../../src/lib/hosts/diff.js'

/** `diff -u` from diffutils, without its two header lines (they carry file times). */
async function systemDiff(before: string, after: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'kasmctl-diff-'))
  try {
    await writeFile(join(dir, 'a'), before)
    await writeFile(join(dir, 'b'), after)
    const stdout = await new Promise<string>((resolve) => {
      execFile('diff', ['-u', join(dir, 'a'), join(dir, 'b')], (_error, out) => resolve(out))
    })
    return stdout.split('\n').slice(2).join('\n')
  } finally {
    await rm(dir, {force: true, recursive: true})
  }
}

describe('hosts: unified diff', () => {
  const lines = Array.from({length: 20}, (_, index) => `line ${index + 1}`)

  for (const [label, changedAt] of [
    ['in the middle', 10],
    ['on the first line', 0],
    ['on the last line', 19],
  ] as const) {
    it(`matches diff -u for a change ${label}`, async () => {
      const before = `${lines.join('\n')}\n`
      const after = `${lines.map((line, index) => (index === changedAt ? 'zone_name: east' : line)).join('\n')}\n`
      const ours = unifiedDiff(before, after, 'webapp-1:/opt/kasm/current/conf/app/api.app.config.yaml')
      expect(ours.split('\n').slice(0, 2)).to.deep.equal(['--- webapp-1:/opt/kasm/current/conf/app/api.app.config.yaml', '+++ webapp-1:/opt/kasm/current/conf/app/api.app.config.yaml'])
      expect(ours.split('\n').slice(2).join('\n')).to.equal(await systemDiff(before, after))
    })
  }

  it('is empty when nothing changes', () => {
    expect(unifiedDiff('a\n', 'a\n', 'x')).to.equal('')
  })
})
