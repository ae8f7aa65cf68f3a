import {expect} from 'chai'

import type {BackupEntry} from '../../../src/lib/backup/catalog.js'
import {planRetention, retentionPolicy} from '../../../src/lib/backup/retention.js'
import {ExitCode, UsageError} from '../../../src/lib/errors.js'

const NOW = new Date('2025-06-30T12:00:00Z')
const DAY = 86_400_000

/** Backups taken daily at 02:00, newest first. */
function daily(count: number, overrides: Partial<BackupEntry>[] = []): BackupEntry[] {
  return Array.from({length: count}, (_, i) => {
    const createdAt = new Date(Date.UTC(2025, 5, 30 - i, 2))
    const file = `kasm_db_prod_${createdAt.toISOString().slice(0, 10).replaceAll('-', '')}T020000Z.tar.zst`
    return {
      checksumChecked: false, complete: true, compression: 'zstd', context: 'prod', createdAt, file, format: 'tar',
      path: `/backups/${file}`, sizeBytes: 1000, verified: true, ...overrides[i],
    } as BackupEntry
  })
}

const removedDays = (entries: BackupEntry[], policy: Parameters<typeof planRetention>[1]): number[] =>
  planRetention(entries, policy, NOW).remove.map(({entry}) => entry.createdAt.getUTCDate())

describe('lib/backup/retention', () => {
  it('--keep N keeps the newest N and removes the rest, saying why', () => {
    const plan = planRetention(daily(5), {keep: 3, minKeep: 1}, NOW)
    expect(plan.keep.map((e) => e.createdAt.getUTCDate())).to.deep.equal([30, 29, 28])
    expect(plan.remove.map((r) => r.reason)).to.deep.equal(['beyond --keep 3', 'beyond --keep 3'])
  })

  it('--keep-age removes backups older than that, saying so in days when it is whole days', () => {
    // 27 June 02:00 is 3.4 days before NOW.
    expect(removedDays(daily(6), {keepAgeMs: 3 * DAY, minKeep: 1})).to.deep.equal([27, 26, 25])
    expect(planRetention(daily(6), {keepAgeMs: 3 * DAY, minKeep: 1}, NOW).remove[0].reason).to.equal('older than 3 days')
    // 29 June 02:00 is 1d10h old: gone after 1d6h, not whole days.
    const plan = planRetention(daily(3), {keepAgeMs: 30 * 3_600_000, minKeep: 1}, NOW)
    expect(plan.remove.map((r) => [r.entry.createdAt.getUTCDate(), r.reason])).to.deep.equal([[29, 'older than 1d6h'], [28, 'older than 1d6h']])
  })

  it('never goes below --min-keep, even when every backup is too old', () => {
    const old = daily(4).map((e) => ({...e, createdAt: new Date(e.createdAt.getTime() - 90 * 86_400_000)}))
    const plan = planRetention(old, {keepAgeMs: 14 * DAY, minKeep: 2}, NOW)
    expect(plan.keep).to.have.length(2)
    expect(plan.remove).to.have.length(2)
  })

  it('does not count unverified backups towards --min-keep, and leaves incomplete ones alone', () => {
    const entries = daily(5, [{verified: false}, {complete: false}]).map((e) => ({...e, createdAt: new Date(e.createdAt.getTime() - 90 * 86_400_000)}))
    const plan = planRetention(entries, {keepAgeMs: 14 * DAY, minKeep: 2}, NOW)
    // All are too old. 30 is unverified (not protected), 29 incomplete (ignored): 28 and 27 are the protected pair.
    const day = (e: BackupEntry): number => new Date(e.createdAt.getTime() + 90 * 86_400_000).getUTCDate()
    expect(plan.keep.map((e) => day(e))).to.deep.equal([28, 27])
    expect(plan.remove.map(({entry}) => day(entry))).to.deep.equal([30, 26])
  })

  it('gives a damaged backup no place in --keep and no part of --min-keep: it never pushes a good one out', () => {
    // The two newest are damaged (a truncated file), as after a disk that filled up mid-copy.
    const entries = daily(3, [{damage: 'truncated', verified: false}, {damage: 'empty', verified: false}])
    const plan = planRetention(entries, {keep: 1, minKeep: 1}, NOW)
    expect(plan.keep.map((e) => e.createdAt.getUTCDate())).to.deep.equal([28])
    expect(plan.remove).to.deep.equal([])
    expect(plan.damaged.map((e) => e.createdAt.getUTCDate())).to.deep.equal([30, 29])
  })

  describe('retentionPolicy', () => {
    it('takes flags over the context settings, with min-keep 1 by default', () => {
      expect(retentionPolicy({keep: 3}, {dir: '/b', keep: 7, keepDays: 14})).to.deep.equal({keep: 3, keepAgeMs: 14 * DAY, minKeep: 1})
      expect(retentionPolicy({keepAgeMs: 36 * 3_600_000}, {dir: '/b', keepDays: 14})).to.deep.equal({keep: undefined, keepAgeMs: 36 * 3_600_000, minKeep: 1})
      expect(retentionPolicy({}, {dir: '/b'})).to.equal(undefined)
      expect(retentionPolicy({keep: 3, verify: true}, undefined)).to.deep.equal({keep: 3, keepAgeMs: undefined, minKeep: 1, verify: true})
    })

    for (const [flags, message] of [
      [{keep: 0}, '--keep 0 is not valid'],
      [{keep: 1, minKeep: 2}, '--keep 1 is below --min-keep 2'],
    ] as const) {
      it(`rejects ${JSON.stringify(flags)} with a usage error`, () => {
        expect(() => retentionPolicy(flags, undefined))
          .to.throw(UsageError, message)
          .with.property('exitCode', ExitCode.USAGE)
      })
    }

    it('names the context setting when the bad value comes from there', () => {
      expect(() => retentionPolicy({}, {dir: '/b', keep: 0})).to.throw(UsageError, 'backup.keep in the context 0 is not valid')
      expect(() => retentionPolicy({}, {dir: '/b', keepDays: 0})).to.throw(UsageError, 'backup.keepDays in the context 0 is not valid')
    })
  })
})
