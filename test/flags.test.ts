import {expect} from 'chai'

import {expandBooleanValues} from '../src/flags.js'
import {splitCommandLine} from '../src/lib/argv.js'
import {UsageError} from '../src/lib/errors.js'

describe('boolean flags with a value (--flag=false)', () => {
  const flags = {json: {type: 'boolean'}, 'search-alternate': {allowNo: true, type: 'boolean'}, zone: {type: 'option'}}

  it('rewrites --flag=VALUE to --flag or --no-flag, and leaves everything else alone', () => {
    expect(expandBooleanValues(['east', '--search-alternate=false', '--json'], flags)).to.deep.equal(['east', '--no-search-alternate', '--json'])
    expect(expandBooleanValues(['--search-alternate=Yes'], flags)).to.deep.equal(['--search-alternate'])
    expect(expandBooleanValues(['--search-alternate=0'], flags)).to.deep.equal(['--no-search-alternate'])
    expect(expandBooleanValues(['--zone=east', '--', '--search-alternate=maybe'], flags)).to.deep.equal(['--zone=east', '--', '--search-alternate=maybe'])
  })

  it('refuses a value that is not a boolean, naming the valid ones', () => {
    expect(() => expandBooleanValues(['--search-alternate=maybe'], flags)).to.throw(
      UsageError,
      '--search-alternate=maybe: "maybe" is not a boolean value for --search-alternate: use true, false, yes, no, 1 or 0, or --search-alternate / --no-search-alternate',
    )
    expect(() => expandBooleanValues(['--no-search-alternate=true'], flags)).to.throw(UsageError, 'is not a boolean value')
  })

  it('refuses the same flag given both ways', () => {
    expect(() => expandBooleanValues(['--search-alternate', '--no-search-alternate'], flags)).to.throw(UsageError, 'conflicting flags: --search-alternate and --no-search-alternate')
    expect(expandBooleanValues(['--search-alternate', '--search-alternate=yes'], flags)).to.deep.equal(['--search-alternate', '--search-alternate'])
  })
})

describe('command line splitting (global flags before the command)', () => {
  const globalFlags = {context: {takesValue: true}, json: {takesValue: false}, output: {char: 'o', takesValue: true}, verbose: {takesValue: false}}
  const isCommand = (id: string) => ['zone:list', 'zone:lint', 'health'].includes(id)

  it('moves global flags given before the command behind it, and keeps the command\'s own arguments', () => {
    expect(splitCommandLine(['--context', 'lab', 'zone', 'list'], {globalFlags, isCommand})).to.deep.equal({argv: ['--context', 'lab'], command: 'zone:list', json: false, words: ['zone', 'list']})
    expect(splitCommandLine(['-ojson', '--context=lab', '--verbose', 'health', 'extra', '--all'], {globalFlags, isCommand})).to.deep.include({argv: ['-ojson', '--context=lab', '--verbose', 'extra', '--all'], command: 'health', json: true})
    expect(splitCommandLine(['zone', 'list', 'x'], {globalFlags, isCommand})).to.deep.include({argv: ['x'], command: 'zone:list'})
  })

  it('finds no command for a typo or flags alone, and says whether JSON was asked for', () => {
    expect(splitCommandLine(['nosuch', '--json'], {globalFlags, isCommand})).to.deep.equal({argv: ['--json'], json: true, words: ['nosuch']})
    expect(splitCommandLine(['--json'], {globalFlags, isCommand})).to.deep.equal({argv: ['--json'], json: true, words: []})
    expect(splitCommandLine(['--bogus', 'zone', 'list'], {globalFlags, isCommand})).to.deep.equal({argv: ['--bogus', 'zone', 'list'], json: false, words: ['--bogus']})
  })
})
