import {expect} from 'chai'

import {colorFor, detectTerminal, loadColour} from '../../../src/lib/output/terminal.js'

describe('terminal: colour per stream, NO_COLOR, FORCE_COLOR', () => {
  const tty = {isTTY: true}
  const pipe = {isTTY: false}

  it('colours a stream only when it is a terminal, each stream on its own', async () => {
    await loadColour({}, {stderr: tty, stdin: tty, stdout: pipe})
    const term = detectTerminal({}, {stderr: tty, stdin: tty, stdout: pipe})
    expect(term.color).to.equal(false)
    expect(term.chalk.red('x')).to.equal('x')
    expect(term.stderrChalk.red('x')).to.not.equal('x')
    expect(detectTerminal({}, {stderr: pipe, stdin: tty, stdout: tty}).stderrChalk.red('x')).to.equal('x')
  })

  it('NO_COLOR disables colour only when it is set to something (an empty NO_COLOR is unset)', () => {
    expect(colorFor(tty, {NO_COLOR: '1'})).to.equal(false)
    expect(colorFor(tty, {NO_COLOR: ''})).to.equal(true)
    expect(colorFor(tty, {TERM: 'dumb'})).to.equal(false)
  })

  it('FORCE_COLOR turns colour on even into a pipe, and FORCE_COLOR=0 turns it off', () => {
    expect(colorFor(pipe, {FORCE_COLOR: '1'})).to.equal(true)
    expect(colorFor(pipe, {FORCE_COLOR: '1', NO_COLOR: '1'})).to.equal(true)
    expect(colorFor(tty, {FORCE_COLOR: '0'})).to.equal(false)
    expect(colorFor(pipe, {FORCE_COLOR: ''})).to.equal(false)
  })

  it('without colour, every style (chained or not) gives back the text as it is', () => {
    const {chalk} = detectTerminal({NO_COLOR: '1'}, {stderr: tty, stdin: tty, stdout: tty})
    expect(chalk.red('x')).to.equal('x')
    expect(chalk.red.bold.dim('a', 'b')).to.equal('a b')
    expect(chalk.level).to.equal(0)
  })

  it('prompts need stdin and stderr on a terminal, since they write to stderr: stdout may be a pipe (--json | jq)', () => {
    expect(detectTerminal({}, {stderr: tty, stdin: tty, stdout: pipe}).interactive).to.equal(true)
    expect(detectTerminal({}, {stderr: pipe, stdin: tty, stdout: tty}).interactive).to.equal(false)
  })
})
