import {createRequire} from 'node:module'

/** One metric family as parse-prometheus-text-format returns it. */
export interface MetricFamily {
  name: string
  help: string
  type: 'COUNTER' | 'GAUGE' | 'HISTOGRAM' | 'SUMMARY' | 'UNTYPED'
  metrics: Array<{value: string; labels?: Record<string, string>}>
}

const parseText = createRequire(import.meta.url)('parse-prometheus-text-format') as (text: string) => MetricFamily[]

/**
 * Parses the Prometheus text exposition format (what node_exporter's textfile collector and
 * Prometheus scrape) with a real parser, parse-prometheus-text-format, then fails on what that
 * parser lets through: a document without a final newline, a sample value that is not a number,
 * a sample without a declared TYPE, or a family without HELP.
 */
export function parsePrometheus(text: string): MetricFamily[] {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline')
  const families = parseText(text)
  for (const family of families) {
    if (family.type === 'UNTYPED') throw new Error(`${family.name} has no # TYPE line (or a sample line that did not parse)`)
    if (!family.help) throw new Error(`${family.name} has no # HELP line`)
    for (const metric of family.metrics) {
      if (!/^[+-]?(\d+(\.\d*)?([eE][+-]?\d+)?|\.\d+|Inf|NaN)$/.test(metric.value)) throw new Error(`${family.name} has a value that is not a number: "${metric.value}"`)
    }
  }

  return families
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const family = families.find((f) => f.name === name)
  const matches = (family?.metrics ?? []).filter((m) => Object.entries(labels).every(([key, value]) => m.labels?.[key] === value))
  if (matches.length !== 1) throw new Error(`${matches.length} samples of ${name} with labels ${JSON.stringify(labels)}`)
  return Number(matches[0].value)
}
