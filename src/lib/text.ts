/** True when the text holds a control character (NUL, newline, tab, escape, DEL...): never valid in a name, URL or path kasmctl stores. */
export function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code < 0x20 || code === 0x7f) return true
  }

  return false
}

/**
 * The order of names (zones, agents, hosts, command ids): case-insensitive, lowercase first on a tie, by UTF-16 code
 * unit. It is the same on every machine: String#localeCompare follows the locale of the one it runs on (a `--json`
 * document would change its order with LANG), and its first call in a process builds an ICU collator, ~7 ms.
 */
export function compareNames(a: string, b: string): number {
  const lowerA = a.toLowerCase()
  const lowerB = b.toLowerCase()
  if (lowerA !== lowerB) return lowerA < lowerB ? -1 : 1
  return a === b ? 0 : a > b ? -1 : 1
}
