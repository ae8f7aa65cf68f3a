import {AutoscaleToggleCommand} from '../../autoscale-toggle.js'

export default class AutoscaleDisable extends AutoscaleToggleCommand {
  static summary = 'Turn an autoscale config off: Kasm stops adding and removing its servers'
  static description = 'Sends the whole config with enabled: false (as `autoscale set --enabled=false`). Already disabled: reported, nothing sent (exit 0).'
  static examples = ['<%= config.bin %> autoscale disable rdp-autoscale --dry-run', '<%= config.bin %> autoscale disable rdp-autoscale --yes --json']
  protected readonly enabled = false
}
