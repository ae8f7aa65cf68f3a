import {expect} from 'chai'
import {spawnSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

import {AGE_RANGE, formatAge, formatDuration, MAX_TIMER_MS, parseDuration, pauseUnless, TIMER_RANGE} from '../../src/lib/duration.js'
import {UsageError} from '../../src/lib/errors.js'

describe('durations', () => {
  it('parses units and combinations', () => {
    expect(parseDuration('90s')).to.equal(90_000)
    expect(parseDuration('1h30m')).to.equal(5_400_000)
    expect(parseDuration('7d')).to.equal(604_800_000)
    expect(parseDuration('250ms')).to.equal(250)
    expect(parseDuration('5')).to.equal(5000)
  })

  it('rejects unknown units, negatives and empty input, naming the value', () => {
    for (const bad of ['7x', '-1d', '', '1h foo', 'h']) {
      expect(() => parseDuration(bad, '--older-than')).to.throw(`--older-than "${bad}" is not a duration`)
    }
  })

  it('checks a range when given one: timers stop at 2^31 ms, and nothing overflows into "Invalid time value"', () => {
    expect(parseDuration('24d', '--watch', TIMER_RANGE)).to.equal(24 * 86_400_000)
    expect(() => parseDuration('30d', '--watch', TIMER_RANGE)).to.throw(UsageError, '--watch "30d" is out of range: use 1ms to 24d20h')
    expect(() => parseDuration('0', '--poll-interval', TIMER_RANGE)).to.throw(UsageError, 'out of range')
    expect(() => parseDuration('99999999999999d', '--deadline', TIMER_RANGE)).to.throw(UsageError, '--deadline "99999999999999d" is out of range')
    expect(() => parseDuration('99999999999999d', '--older-than', AGE_RANGE)).to.throw(UsageError, 'use 1s to 36500d')
    expect(() => parseDuration('9'.repeat(400), '--older-than')).to.throw(UsageError, 'is out of range')
    expect(MAX_TIMER_MS).to.equal(2_147_483_647)
  })

  it('formats durations and ages for people', () => {
    expect(formatDuration(75_000)).to.equal('1m15s')
    expect(formatDuration(0)).to.equal('0ms')
    const now = new Date('2026-01-01T12:00:00Z')
    expect(formatAge(new Date('2026-01-01T11:59:15Z'), now)).to.equal('45s')
    expect(formatAge(new Date('2025-12-29T12:00:00Z'), now)).to.equal('3d')
  })

  it('pauseUnless wakes as soon as its promise settles, even by rejecting, and leaves no timer to hold the process open', () => {
    // A process whose last work is a woken 60 s pause must exit at once, not after the minute.
    const script = `import {pauseUnless} from ${JSON.stringify(fileURLToPath(new URL('../../src/lib/duration.ts', import.meta.url)))}
      await pauseUnless(60_000, Promise.resolve())
      await pauseUnless(60_000, Promise.reject(new Error('writer failed')))
      console.log('woken')`
    const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {encoding: 'utf8', timeout: 30_000})
    expect(child.signal, 'still running after 30 s: a timer held it open').to.equal(null)
    expect(child).to.include({status: 0, stdout: 'woken\n'})
  })

  it('pauseUnless waits the whole time when nothing wakes it', async () => {
    const started = performance.now()
    await pauseUnless(30, new Promise(() => undefined))
    expect(performance.now() - started).to.be.at.least(25)
  })
})
