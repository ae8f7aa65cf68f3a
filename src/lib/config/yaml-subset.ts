/**
 * A small, fast reader for the YAML that config files are made of: block mappings and sequences,
 * plain and quoted one-line scalars, `[]`, `{}` and flat flow lists, comments. Loading the `yaml`
 * library costs 30-50 ms of every command's start (bench/startup.mjs); this reader costs almost
 * nothing. It returns what `yaml`'s parse() would (YAML 1.2 core schema), or `undefined` for
 * anything outside that subset (anchors, tags, block scalars, multi-line scalars, duplicate keys,
 * syntax errors...), and the caller then parses with `yaml`, which also words the errors.
 * test/lib/config/yaml-subset.test.ts checks it against `yaml` on every shape it accepts.
 */

/** Thrown inside the reader when the text leaves the subset; never escapes parseYamlSubset(). */
class OutsideSubset extends Error {}

interface Line {
  indent: number
  text: string
}

type Value = boolean | null | number | string | Value[] | {[key: string]: Value}

export function parseYamlSubset(text: string): unknown {
  try {
    return new Reader(text).document()
  } catch (error) {
    if (error instanceof OutsideSubset) return undefined
    throw error
  }
}

function outside(): never {
  throw new OutsideSubset()
}

class Reader {
  private readonly lines: Line[] = []
  private index = 0

  constructor(text: string) {
    if (text.startsWith('\uFEFF')) outside()
    for (const raw of text.split(/\r?\n/)) {
      const body = raw.trimStart()
      if (body === '' || body.startsWith('#')) continue
      const indent = raw.length - body.length
      if (raw.slice(0, indent).includes('\t')) outside()
      if (indent === 0 && /^(---|\.\.\.)(\s|$)/.test(body)) outside()
      this.lines.push({indent, text: body.trimEnd()})
    }
  }

  document(): Value {
    if (this.lines.length === 0) return null
    const value = this.node(this.lines[0].indent)
    if (this.index < this.lines.length) outside()
    return value
  }

  /** The node starting on the current line, at `indent`: a sequence, a mapping or a lone scalar. */
  private node(indent: number): Value {
    const line = this.lines[this.index]
    if (line.indent !== indent) outside()
    if (isSequenceItem(line.text)) return this.sequence(indent)
    if (splitKey(line.text)) return this.mapping(indent)
    this.index++
    const value = inlineValue(line.text)
    this.noContinuation(indent)
    return value
  }

  private sequence(indent: number): Value[] {
    const items: Value[] = []
    while (this.index < this.lines.length) {
      const line = this.lines[this.index]
      // A sequence may sit at its key's own indentation: a non-item line there ends it.
      if (line.indent < indent || (line.indent === indent && !isSequenceItem(line.text))) break
      if (line.indent > indent) outside()
      const rest = line.text.slice(1).trimStart()
      if (rest === '') {
        this.index++
        items.push(this.nested(indent))
      } else {
        // `- key: value` starts a mapping whose keys line up with `key`: read the rest as a line of its own.
        const column = indent + line.text.length - rest.length
        this.lines[this.index] = {indent: column, text: rest}
        items.push(this.node(column))
      }
    }

    return items
  }

  private mapping(indent: number): {[key: string]: Value} {
    const object: {[key: string]: Value} = {}
    while (this.index < this.lines.length) {
      const line = this.lines[this.index]
      if (line.indent < indent) break
      if (line.indent > indent || isSequenceItem(line.text)) outside()
      const entry = splitKey(line.text) ?? outside()
      if (Object.hasOwn(object, entry.key) || entry.key === '__proto__') outside()
      this.index++
      if (entry.rest === '' || entry.rest.startsWith('#')) {
        // `key:` then a nested block, or a sequence at the key's own indentation, or nothing (null).
        const next = this.lines[this.index]
        object[entry.key] = next && next.indent === indent && isSequenceItem(next.text) ? this.sequence(indent) : this.nested(indent)
      } else {
        object[entry.key] = inlineValue(entry.rest)
        this.noContinuation(indent)
      }
    }

    return object
  }

  /** The block indented deeper than `parent` on the next line, or null when there is none. */
  private nested(parent: number): Value {
    const next = this.lines[this.index]
    return next && next.indent > parent ? this.node(next.indent) : null
  }

  /** A deeper line right after a scalar would continue it (a multi-line scalar): not in the subset. */
  private noContinuation(indent: number): void {
    const next = this.lines[this.index]
    if (next && next.indent > indent) outside()
  }
}

function isSequenceItem(text: string): boolean {
  return text === '-' || text.startsWith('- ')
}

/** `key: rest` with a plain or quoted key; undefined when the line is not a mapping entry. */
function splitKey(text: string): undefined | {key: string; rest: string} {
  if (text.startsWith('"') || text.startsWith("'")) {
    const {end, value} = quoted(text)
    const after = text.slice(end)
    if (!/^:(\s|$)/.test(after)) return undefined
    return {key: value, rest: after.slice(1).trim()}
  }

  const match = /^([^\s#:][^#]*?|[^\s#:]):(?:\s+(.*))?$/.exec(text)
  if (!match) return undefined
  const key = match[1].trimEnd()
  if (/^[[\]{}&*!|>%@`?,'"-]/.test(key) && !/^-\S/.test(key)) outside()
  if (key.includes(': ') || key.includes(' #')) outside()
  // Keys that YAML reads as null, booleans or numbers become other strings in JavaScript.
  if (typeof plainScalar(key) !== 'string') outside()
  return {key, rest: (match[2] ?? '').trim()}
}

/** A value on the rest of a line: quoted, flow `[...]` / `{}`, or plain; then only a comment. */
function inlineValue(text: string): Value {
  if (text.startsWith('"') || text.startsWith("'")) {
    const {end, value} = quoted(text)
    onlyComment(text.slice(end))
    return value
  }

  if (text.startsWith('[')) return flowSequence(text)
  if (text.startsWith('{')) {
    onlyComment(text.slice(text.startsWith('{}') ? 2 : outside()))
    return {}
  }

  // Indicators cannot start a plain scalar; `?`, `:` and `-` can when a non-space follows.
  if (/^[&*!|>%@`,\]}#]/.test(text) || /^[?:-](\s|$)/.test(text)) outside()
  const comment = text.search(/\s#/)
  const plain = (comment === -1 ? text : text.slice(0, comment)).trimEnd()
  if (/:(\s|$)/.test(plain)) outside()
  return plainScalar(plain)
}

/** `[a, "b", 3]`: scalars only. */
function flowSequence(text: string): Value[] {
  const items: Value[] = []
  let rest = text.slice(1).trimStart()
  while (!rest.startsWith(']')) {
    let item: Value
    if (rest.startsWith('"') || rest.startsWith("'")) {
      const {end, value} = quoted(rest)
      item = value
      rest = rest.slice(end).trimStart()
    } else {
      const match = /^[^,[\]{}#&*!|>'"%@`\s][^,[\]{}]*/.exec(rest) ?? outside()
      const plain = match[0].trimEnd()
      if (/:(\s|$)|\s#/.test(plain)) outside()
      item = plainScalar(plain)
      rest = rest.slice(match[0].length).trimStart()
    }

    items.push(item)
    if (rest.startsWith(',')) rest = rest.slice(1).trimStart()
    else if (!rest.startsWith(']')) outside()
  }

  onlyComment(rest.slice(1))
  return items
}

function onlyComment(text: string): void {
  if (text !== '' && !/^\s+#/.test(text) && text.trim() !== '') outside()
}

const ESCAPES: Record<string, string> = {'"': '"', '/': '/', '0': '\0', '\\': '\\', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t'}

/** A one-line quoted scalar at the start of `text`: its value and where it ends. */
function quoted(text: string): {end: number; value: string} {
  const quote = text[0]
  let value = ''
  for (let i = 1; i < text.length; i++) {
    const char = text[i]
    if (quote === "'") {
      if (char !== "'") value += char
      else if (text[i + 1] === "'") value += text[++i]
      else return {end: i + 1, value}
    } else if (char === '"') {
      return {end: i + 1, value}
    } else if (char === '\\') {
      const code = text[++i]
      const hex = {U: 8, u: 4, x: 2}[code as 'U' | 'u' | 'x']
      if (hex) {
        const digits = text.slice(i + 1, i + 1 + hex)
        if (!/^[\dA-Fa-f]+$/.test(digits) || digits.length !== hex) outside()
        value += String.fromCodePoint(Number.parseInt(digits, 16))
        i += hex
      } else {
        value += ESCAPES[code] ?? outside()
      }
    } else {
      value += char
    }
  }

  return outside() // not closed on this line: a multi-line scalar
}

/** A plain scalar as YAML 1.2's core schema reads it (what `yaml` does by default). */
function plainScalar(text: string): Value {
  if (text === '' || text === '~' || /^(null|Null|NULL)$/.test(text)) return null
  if (/^(true|True|TRUE)$/.test(text)) return true
  if (/^(false|False|FALSE)$/.test(text)) return false
  if (/^0o[0-7]+$/.test(text)) return Number.parseInt(text.slice(2), 8)
  if (/^0x[\dA-Fa-f]+$/.test(text)) return Number.parseInt(text.slice(2), 16)
  if (/^[-+]?\d+$/.test(text)) return Number(text)
  if (/^[-+]?(\.\d+|\d+(\.\d*)?)([Ee][-+]?\d+)?$/.test(text)) return Number(text)
  if (/^[-+]?\.(inf|Inf|INF)$/.test(text)) return text.startsWith('-') ? -Infinity : Infinity
  if (/^\.(nan|NaN|NAN)$/.test(text)) return Number.NaN
  return text
}
