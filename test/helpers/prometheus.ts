/**
 * Parses the Prometheus text exposition format (what node_exporter's textfile collector reads) with
 * the official Prometheus Python client's parser (prometheus_client.parser, Debian package
 * python3-prometheus-client, run with Debian's /usr/bin/python3): it rejects bad metric names,
 * broken labels and values that are not numbers. On top of it, a family must have HELP and TYPE
 * (the parser lets a bare sample through as "unknown"), and the text must end with a newline.
 */
import {execFile} from 'node:child_process'

export interface MetricFamily {
  name: string
  type: string
  help: string
  samples: Array<{name: string; labels: Record<string, string>; value: number}>
}

const PARSE = `
import json, sys
from prometheus_client.parser import text_string_to_metric_families
try:
    families = list(text_string_to_metric_families(sys.stdin.read()))
except Exception as error:
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(2)
json.dump([{"name": f.name, "type": f.type, "help": f.documentation,
            "samples": [{"name": s.name, "labels": s.labels, "value": s.value} for s in f.samples]} for f in families], sys.stdout)
`

export async function parsePrometheus(text: string): Promise<MetricFamily[]> {
  if (text !== '' && !text.endsWith('\n')) throw new Error('the exposition does not end with a newline')
  const families = await new Promise<MetricFamily[]>((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', PARSE], (error, stdout, stderr) => {
      if (error) reject(new Error(`not valid Prometheus text: ${stderr.trim() || error.message}`))
      else resolve(JSON.parse(stdout) as MetricFamily[])
    })
    child.stdin!.end(text)
  })
  for (const family of families) {
    if (family.type === 'unknown') throw new Error(`${family.name} has no # TYPE line`)
    if (!family.help) throw new Error(`${family.name} has no # HELP line`)
  }

  return families
}

/** The value of the one sample of `name` whose labels include `labels`. */
export function sampleValue(families: MetricFamily[], name: string, labels: Record<string, string> = {}): number {
  const samples = families.flatMap((family) => family.samples).filter((s) => s.name === name && Object.entries(labels).every(([key, value]) => s.labels[key] === value))
  if (samples.length !== 1) throw new Error(`${samples.length} samples of ${name} with labels ${JSON.stringify(labels)}`)
  return samples[0].value
}
