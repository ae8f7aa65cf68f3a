#!/usr/bin/env node
// Usage: node scripts/man-page.mjs PROGRAM [ARG...] > kasmctl.1
// Writes kasmctl(1) from kasmctl's own --help (PROGRAM [ARG...] runs the CLI, e.g. `node bin/run.js`):
// the overview, then each command's help as preformatted text, so the page never drifts from --help.
import {execFileSync} from 'node:child_process'
import {readFileSync} from 'node:fs'

const [program, ...programArgs] = process.argv.slice(2)
if (!program) {
  console.error('usage: node scripts/man-page.mjs PROGRAM [ARG...]')
  process.exit(64)
}

const read = (file) => JSON.parse(readFileSync(new URL(`../${file}`, import.meta.url), 'utf8'))
const {commands} = read('oclif.manifest.json')
const {description, version} = read('package.json')
const help = (words) =>
  execFileSync(program, [...programArgs, ...words, '--help'], {encoding: 'utf8', env: {...process.env, COLUMNS: '80', NO_COLOR: '1'}})

/** roff: backslashes escaped, and no line may start with a control character. */
const roff = (text) =>
  text
    .replaceAll('\\', '\\e')
    .split('\n')
    .map((line) => (/^[.']/.test(line) ? `\\&${line}` : line))
    .join('\n')
const preformatted = (text) => `.nf\n${roff(text.trimEnd())}\n.fi`

const epoch = process.env.SOURCE_DATE_EPOCH ? Number(process.env.SOURCE_DATE_EPOCH) * 1000 : Date.now()
const sections = [
  `.TH KASMCTL 1 "${new Date(epoch).toISOString().slice(0, 10)}" "kasmctl ${version}" "User Commands"`,
  '.SH NAME',
  `kasmctl \\- ${roff(description)}`,
  '.SH SYNOPSIS',
  '.B kasmctl',
  '.I COMMAND',
  '[\\fIFLAGS\\fR]',
  '.SH DESCRIPTION',
  preformatted(help([])),
  '.SH COMMANDS',
]
for (const id of Object.keys(commands).sort()) {
  if (commands[id].hidden) continue
  const words = id.split(':')
  sections.push(`.SS kasmctl ${words.join(' ')}`, preformatted(help(words)))
}

sections.push('.SH SEE ALSO', 'https://github.com/kasmctl/kasmctl')
process.stdout.write(`${sections.join('\n')}\n`)
