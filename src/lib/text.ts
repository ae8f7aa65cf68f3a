/** True when the text holds a control character (NUL, newline, tab, escape, DEL...): never valid in a name, URL or path kasmctl stores. */
export function hasControlCharacter(value: string): boolean {
  for (let index = 0; index < value.length; index++) {
    const code = value.charCodeAt(index)
    if (code < 0x20 || code === 0x7f) return true
  }

  return false
}
