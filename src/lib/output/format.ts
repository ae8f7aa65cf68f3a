import {stringify} from 'yaml'

export type OutputFormat = 'json' | 'table' | 'yaml'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml']

export function toYaml(data: unknown): string {
  return stringify(data, {lineWidth: 0}).trimEnd()
}

export function toJson(data: unknown): string {
  return JSON.stringify(data, null, 2)
}
