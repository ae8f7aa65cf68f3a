import {AutoscaleToggleCommand} from '../../autoscale-toggle.js'

export default class AutoscaleEnable extends AutoscaleToggleCommand {
  static summary = 'Turn an autoscale config on: Kasm scales its pool again'
  static description = 'Sends the whole config with enabled: true (as `autoscale set --enabled=true`). Already enabled: reported, nothing sent (exit 0).'
  static examples = ['<%= config.bin %> autoscale enable rdp-autoscale --dry-run', '<%= config.bin %> autoscale enable rdp-autoscale --yes --json']
  protected readonly enabled = true
}
