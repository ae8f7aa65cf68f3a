/**
 * Parses OpenMetrics text with the official Prometheus Python client's strict parser
 * (prometheus_client.openmetrics.parser, Debian package python3-prometheus-client): it rejects a
 * missing `# EOF`, a UNIT that is not the name's suffix, interleaved families, bad escaping,
 * duplicate samples. Run with Debian's /usr/bin/python3, which apt's package extends.
 */
import {execFile} from 'node:child_process'

export interface OpenMetricsSample {
  name: string
  labels: Record<string, string>
  value: number
}

export interface OpenMetricsFamily {
  name: string
  type: string
  unit: string
  help: string
  samples: OpenMetricsSample[]
}

const PARSE = `
import json, math, sys
from prometheus_client.openmetrics.parser import text_string_to_metric_families
try:
    families = list(text_string_to_metric_families(sys.stdin.read()))
except Exception as error:
    print(f"{type(error).__name__}: {error}", file=sys.stderr)
    sys.exit(2)
json.dump([{"name": f.name, "type": f.type, "unit": f.unit, "help": f.documentation,
            "samples": [{"name": s.name, "labels": s.labels, "value": s.value if math.isfinite(s.value) else str(s.value)} for s in f.samples]}
           for f in families], sys.stdout)
`

export async function parseOpenMetrics(text: string): Promise<OpenMetricsFamily[]> {
  return new Promise((resolve, reject) => {
    const child = execFile('/usr/bin/python3', ['-c', PARSE], (error, stdout, stderr) => {
      if (error) reject(new Error(`not valid OpenMetrics: ${stderr.trim() || error.message}`))
      else resolve(JSON.parse(stdout) as OpenMetricsFamily[])
    })
    child.stdin!.end(text)
  })
}
