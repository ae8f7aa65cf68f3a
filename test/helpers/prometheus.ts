/**
 * Parses metrics with the official Prometheus Python client's own parsers (Debian package
 * python3-prometheus-client, run with Debian's /usr/bin/python3, which apt's package extends):
 * - `parsePrometheus`: the text exposition format node_exporter's textfile collector reads
 *   (prometheus_client.parser). It rejects bad metric names, broken labels and values that are not
 *   numbers; on top of it a family must have HELP and TYPE (the parser lets a bare sample through as
 *   "unknown"), and the text must end with a newline.
 * - `parseOpenMetrics`: OpenMetrics with the strict parser (prometheus_client.openmetrics.parser). It
 *   rejects a missing `# EOF`, a UNIT that is not the name's suffix, interleaved families, bad
 *   escaping, duplicate samples.
 */
import {execFile} from 'node:child_process'

export interface MetricSample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface MetricFamily {
  name: string
  type: string
  /** OpenMetrics only ('' in the text format). */
  unit: string
  help: string
  samples: MetricSample[]
}

const PARSE = (module: string) => `
import json, math, sys
from ${module} import text_string_to_metric_families
try:
    families = list(text_string_to_metric_families(sys.stdin.read()))
except Exception as error:
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(2)
json.dump([{"name": f.name, "type": f.type, "unit": getattr(f, "unit", "") or "", "help": f.documentation,
            "samples": [{"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]}
           for f in families], sys.stdout)
`

async function runParser(module: string, format: string, text: string): Promise<MetricFamily[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', PARSE(module)], (error, stdout, stderr) => {
      if (error) reject(new Error(`not valid ${format}: ${stderr.trim() || error.message}`))
      else resolve(JSON.parse(stdout) as MetricFamily[])
    })
    child.stdin!.end(text)
  })
}

export async function parsePrometheus(text: string): Promise<MetricFamily[]> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline')
  const families = await runParser('prometheus_client.parser', 'Prometheus text', text)
  for (const family of families) {
    if (family.type === 'unknown') throw new Error(`${family.name} has no # TYPE line`)
    if (!family.help) throw new Error(`${family.name} has no # HELP line`)
  }

  return families
}

export async function parseOpenMetrics(text: string): Promise<MetricFamily[]> {
  return runParser('prometheus_client.openmetrics.parser', 'OpenMetrics', text)
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const samples = families.flatMap((family) => family.samples).filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
  if (samples.length !== 1) throw new Error(`${samples.length} samples of ${name} with labels ${JSON.stringify(labels)}`)
  return samples[0].value
}
