const CONTEXT_LINES = 3

/**
 * A unified diff (one hunk: from the first changed line to the last, with context) of two versions
 * of a file, as `diff -u` prints it. Host edits change one value, so one hunk is all they need.
 * Empty when the texts are equal.
 */
export function unifiedDiff(before: string, after: string, path: string): string {
  if (before === after) return ''
  const a = lines(before)
  const b = lines(after)
  let head = 0
  while (head < a.length && head < b.length && a[head] === b[head]) head++
  let tail = 0
  while (tail < a.length - head && tail < b.length - head && a[a.length - 1 - tail] === b[b.length - 1 - tail]) tail++

  const from = Math.max(0, head - CONTEXT_LINES)
  const aEnd = Math.min(a.length, a.length - tail + CONTEXT_LINES)
  const bEnd = Math.min(b.length, b.length - tail + CONTEXT_LINES)
  const out = [
    `--- ${path}`,
    `+++ ${path}`,
    `@@ -${range(from, aEnd - from)} +${range(from, bEnd - from)} @@`,
    ...a.slice(from, head).map((line) => ` ${line}`),
    ...a.slice(head, a.length - tail).map((line) => `-${line}`),
    ...b.slice(head, b.length - tail).map((line) => `+${line}`),
    ...a.slice(a.length - tail, aEnd).map((line) => ` ${line}`),
  ]
  return `${out.join('\n')}\n`
}

function lines(text: string): string[] {
  return (text.endsWith('\n') ? text.slice(0, -1) : text).split('\n')
}

/** diff -u's line range: 1-based start and length; an empty range starts at the line before. */
function range(start: number, length: number): string {
  return length === 0 ? `${start},0` : `${start + 1},${length}`
}
