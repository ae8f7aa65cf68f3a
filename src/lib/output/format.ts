export type OutputFormat = 'json' | 'table' | 'yaml'
export const OUTPUT_FORMATS: readonly OutputFormat[] = ['table', 'json', 'yaml']

/** YAML rendering; `yaml` is loaded only when asked for, to keep every other command's start fast. */
export async function yamlRenderer(): Promise<(data: unknown) => string> {
  const {stringify} = await import('yaml')
  return (data) => stringify(data, {lineWidth: 0}).trimEnd()
}
