/**
 * The sandbox's Kasm schema for one release. schema.sql is written for the newest release; what an
 * older release lacks is marked where it is declared:
 *
 *   drain_time timestamp,              -- kasm 1.19+     one line (a column, an index)
 *   -- kasm 1.19+ {                                      a block (a whole table)
 *   CREATE TABLE system_metrics (...);
 *   -- }
 *
 * Lines and blocks marked for a later release are left out, so that table has no such column, as
 * in that release's own database: the simulator then neither stores nor returns it.
 */
import {readFile} from 'node:fs/promises'

import {type KasmVersion, KASM_VERSIONS, isAtLeast} from '../kasm/version.js'
import {shippedFile} from '../shipped.js'

const MARK = /--\s*kasm\s+(\d+\.\d+)\+/
const BLOCK_START = /^\s*--\s*kasm\s+(\d+\.\d+)\+\s*\{\s*$/
const BLOCK_END = /^\s*--\s*\}\s*$/

/** schema.sql as the given release has it. */
export async function schemaFor(version: KasmVersion): Promise<string> {
  return schemaText(await readFile(shippedFile('lib/sandbox/schema.sql'), 'utf8'), version)
}

export function schemaText(sql: string, version: KasmVersion): string {
  const kept: string[] = []
  let skipping = false
  for (const line of sql.split('\n')) {
    const block = BLOCK_START.exec(line)
    if (block) {
      skipping = !isAtLeast(version, release(block[1]))
      continue
    }

    if (BLOCK_END.test(line)) {
      skipping = false
      continue
    }

    const mark = MARK.exec(line)
    if (skipping || (mark && !isAtLeast(version, release(mark[1])))) continue
    kept.push(line)
  }

  // A column list whose last columns were left out must not end in a comma.
  return kept.join('\n').replaceAll(/,(\s*(?:--[^\n]*)?\n\s*\);)/g, '$1')
}

function release(text: string): KasmVersion {
  const version = KASM_VERSIONS.find((v) => v === text)
  if (!version) throw new Error(`schema.sql: "kasm ${text}+" names no known release (${KASM_VERSIONS.join(', ')})`)
  return version
}
