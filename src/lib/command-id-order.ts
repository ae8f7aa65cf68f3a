import {compareNames} from './text.js'

/** A command id: words of ASCII letters, digits and `_`, joined by `:` or `-`. */
const COMMAND_ID = /^[\w:-]+$/

/**
 * oclif sorts its command ids with String#localeCompare as it loads the manifest (config/plugin.js, `load`). The first
 * call builds an ICU collator: ~7 ms of every start, which a CLI of one command never pays. bin/run.js calls this
 * before oclif loads: until that sort is over, two command ids compare with compareNames, and any other comparison
 * as before. The patch undoes itself once the first sort it served has returned. Nothing depends on oclif's order of
 * that list: its help and kasmctl's completion sort for themselves.
 */
export function sortCommandIdsWithoutIcu(): void {
  const localeCompare = String.prototype.localeCompare
  let undoing = false
  const patched = function (this: string, that: string, ...rest: unknown[]): number {
    const self = String(this)
    if (rest.length > 0 || typeof that !== 'string' || !COMMAND_ID.test(self) || !COMMAND_ID.test(that)) {
      return localeCompare.call(self, that, ...(rest as []))
    }

    if (!undoing) {
      undoing = true
      // A sort runs through without a microtask in between: this one runs once it has returned.
      queueMicrotask(() => {
        if (String.prototype.localeCompare === patched) String.prototype.localeCompare = localeCompare
      })
    }

    return compareNames(self, that)
  }

  String.prototype.localeCompare = patched as typeof localeCompare
}
