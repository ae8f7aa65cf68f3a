import {isDeepStrictEqual} from 'node:util'
import {isScalar, parse, parseDocument, type Document, type Scalar} from 'yaml'

/**
 * Surgical edits of Kasm's YAML config files. The yaml library parses the file to find the value's
 * exact byte range, and only that range is replaced: comments, key order, quoting, complex keys
 * (`? ''` in the logging block) and blank lines stay byte for byte, which re-serialising the
 * document would not guarantee. The edited text is parsed again and must differ from the original
 * in that one value only.
 */

export class YamlEditError extends Error {}

/** The scalar at keyPath as a string (numbers and booleans as written), or undefined when absent. */
export function readYamlScalar(text: string, keyPath: readonly string[]): string | undefined {
  const node = scalarAt(parseStrict(text), keyPath)
  if (node === undefined || node.value === null || node.value === undefined) return undefined
  return String(node.value)
}

/** The text with the scalar at keyPath set to value, keeping its quoting style when it can. */
export function setYamlScalar(text: string, keyPath: readonly string[], value: string): string {
  const document = parseStrict(text)
  const node = scalarAt(document, keyPath)
  if (node?.range === undefined || node.range === null) throw new YamlEditError(`the file has no ${keyPath.join('.')} to edit`)
  const [start, end] = node.range
  const edited = text.slice(0, start) + renderScalar(value, node.type) + text.slice(end)

  const expected = document.toJS()
  setIn(expected, keyPath, value)
  if (!isDeepStrictEqual(parseStrict(edited).toJS(), expected)) {
    throw new YamlEditError(`cannot set ${keyPath.join('.')} to ${JSON.stringify(value)} without changing other values; edit the file by hand`)
  }

  return edited
}

function parseStrict(text: string): Document {
  const document = parseDocument(text, {keepSourceTokens: true, uniqueKeys: false})
  if (document.errors.length > 0) throw new YamlEditError(`not valid YAML: ${document.errors[0].message.split('\n')[0]}`)
  return document
}

function scalarAt(document: Document, keyPath: readonly string[]): Scalar | undefined {
  const node = document.getIn(keyPath, true)
  if (node === undefined) return undefined
  if (!isScalar(node)) throw new YamlEditError(`${keyPath.join('.')} is not a single value`)
  return node
}

/** Same style as the original where the value allows it; double quotes (JSON escapes are valid YAML) otherwise. */
function renderScalar(value: string, type: Scalar['type']): string {
  if (type === 'QUOTE_SINGLE' && !value.includes('\n')) return `'${value.replaceAll("'", "''")}'`
  if (type === 'PLAIN' && readsBackAsPlain(value)) return value
  return JSON.stringify(value)
}

/**
 * A plain scalar that reads back as this same string (not a number, bool, null, comment, flow or
 * mapping) under YAML 1.2 and under YAML 1.1, which Kasm's Python (PyYAML) reads: `yes` is a bool there.
 */
function readsBackAsPlain(value: string): boolean {
  if (value === '' || /[\n#]|: |:$/.test(value)) return false
  try {
    return (['1.1', '1.2'] as const).every((version) => parse(`key: ${value}\n`, {version})?.key === value)
  } catch {
    return false
  }
}

function setIn(target: unknown, keyPath: readonly string[], value: string): void {
  let object = target as Record<string, unknown>
  for (const key of keyPath.slice(0, -1)) object = object[key] as Record<string, unknown>
  object[keyPath.at(-1)!] = value
}
