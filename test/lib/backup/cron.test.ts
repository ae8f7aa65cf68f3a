import {expect} from 'chai'

import {cronCreateArgs, cronLine, validateSchedule} from '../../../src/lib/backup/cron.js'
import {ExitCode, UsageError} from '../../../src/lib/errors.js'

describe('lib/backup/cron', () => {
  describe('validateSchedule', () => {
    for (const schedule of ['0 2 * * *', '*/15 * * * *', '0 1-5/2 * * 1-5', '0,30 2 1,15 * *', '0 3 * jan sun', '0 3 * * 7', '@daily', '@Weekly']) {
      it(`accepts "${schedule}"`, () => {
        expect(validateSchedule(schedule)).to.be.a('string')
      })
    }

    it('normalises whitespace and macro case', () => {
      expect(validateSchedule('  0   2 * *  * ')).to.equal('0 2 * * *')
      expect(validateSchedule('@Weekly')).to.equal('@weekly')
    })

    const invalid: Array<[string, string]> = [
      ['0 2 * *', 'has 4 field(s)'],
      ['0 2 * * * *', 'has 6 field(s)'],
      ['60 2 * * *', 'minute field "60" has 60 out of range'],
      ['0 24 * * *', 'hour field "24" has 24 out of range'],
      ['0 2 0 * *', 'day of month field "0" has 0 out of range'],
      ['0 2 * 13 *', 'month field "13" has 13 out of range'],
      ['0 2 * * 8', 'day of week field "8" has 8 out of range'],
      ['0 5-1 * * *', 'runs backwards'],
      ['*/0 * * * *', 'has a step of 0'],
      ['5/10 * * * *', 'step after a single value'],
      ['0 2 * * mon-fri', 'uses a name in a list, range or step'],
      ['0 2 * * funday', 'uses a name in a list, range or step'],
      ['x 2 * * *', 'has an invalid item "x"'],
      ['@reboot', 'unknown macro'],
    ]
    for (const [schedule, reason] of invalid) {
      it(`rejects "${schedule}" (${reason}) with a usage error`, () => {
        let error: unknown
        try {
          validateSchedule(schedule)
        } catch (error_) {
          error = error_
        }

        expect(error).to.be.instanceOf(UsageError)
        expect((error as UsageError).exitCode).to.equal(ExitCode.USAGE)
        expect((error as UsageError).message).to.contain(`"${schedule}"`).and.contain(reason)
      })
    }
  })

  describe('cronLine', () => {
    it('sets PATH and KASMCTL_CONFIG, names the context, quotes arguments, escapes % and ends with the marker', () => {
      const line = cronLine({
        configPath: '/root/.config/kasmctl/config.yaml',
        context: 'prod',
        createArgs: ['--log-file', '/var/log/kasm backup %d.log'],
        kasmctl: '/usr/local/bin/kasmctl',
        path: '/usr/local/bin:/usr/bin:/bin',
        schedule: '0 2 * * *',
      })
      expect(line).to.equal(
        String.raw`0 2 * * * PATH=/usr/local/bin:/usr/bin:/bin KASMCTL_CONFIG=/root/.config/kasmctl/config.yaml /usr/local/bin/kasmctl backup create --quiet --context prod --log-file '/var/log/kasm backup \%d.log' # kasmctl backup: context prod`,
      )
    })
  })

  it('passes on to backup create only the options given, flags without a value for the switches, in a fixed order', () => {
    expect(cronCreateArgs({})).to.deep.equal([])
    expect(cronCreateArgs({compress: 'none', excludeLogs: true, keep: 7, keepAge: '14d', logFile: '/var/log/k.log', minKeep: 3, verify: false})).to.deep.equal([
      '--log-file', '/var/log/k.log', '--exclude-logs', '--compress', 'none', '--keep', '7', '--keep-age', '14d', '--min-keep', '3',
    ])
  })
})
