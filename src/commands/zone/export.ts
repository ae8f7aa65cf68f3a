import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import type {ZonesDocument} from '../../lib/zones/file.js'

export default class ZoneExport extends BaseCommand<typeof ZoneExport> {
  static summary = 'Print zones as a document to keep in git: names not ids, settings only'
  static description = `YAML by default (with -o json: the same document as JSON). Keys are Kasm's zone fields; zones the
context lists as enclaves get \`enclave: true\` (for \`kasmctl zone lint\`). Feed the file to \`kasmctl zone diff\` and
\`kasmctl zone apply\`. The autoscale configs of the exported zones follow under \`autoscale:\` (with the zone and pool
they are in); without the Auto Scaling licence they are left out with a warning.`

  static examples = [
    '<%= config.bin %> zone export > zones.yaml',
    '<%= config.bin %> zone export east enclave',
    '<%= config.bin %> zone export --output json',
  ]

  static completes = {zone: 'zones'}
  static args = {zone: Args.string({description: 'zones to export (name, id or unique id prefix); default: all'})}
  static strict = false

  async run(): Promise<ZonesDocument> {
    const [client, {context}, {exportDocument, exportYaml}, {resolveZone}, {listZones}, {configsOfZones}] = await Promise.all([
      this.kasm(),
      this.resolvedContext(),
      import('../../lib/zones/file.js'),
      import('../../lib/zones/resolve.js'),
      import('../../lib/zones/view.js'),
      import('../../lib/autoscale/configs.js'),
    ])
    const zones = await listZones(client)
    const selected = this.positionals.length > 0 ? [...new Set(this.positionals.map((ref) => resolveZone(zones, ref)))] : zones
    const autoscale = await configsOfZones(client, selected)
    if ('refused' in autoscale) this.warn(`autoscale configs not exported: ${autoscale.refused.message}`)
    const document = exportDocument(selected, context.enclaves, 'configs' in autoscale ? autoscale.configs : [])
    // YAML with a header comment in both table and yaml modes; JSON is printed by oclif from the return value.
    if (this.format !== 'json') {
      this.log(exportYaml(document, `Deployment zones of context "${context.name}" (${context.api.url}), exported by kasmctl.\nApply with: kasmctl zone diff -f FILE, then kasmctl zone apply -f FILE`))
    }

    return document
  }
}
