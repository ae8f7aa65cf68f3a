import {Errors, Flags} from '@oclif/core'

import {BaseCommand} from '../base-command.js'
import {AGE_RANGE, durationFlag, integerFlag, zoneFlag} from '../flags.js'
import {DAY_MS, formatDuration} from '../lib/duration.js'
import {MONITORING_UNKNOWN, UsageError, exitCodeHelp} from '../lib/errors.js'
import {OUTPUT_FORMATS, yamlRenderer} from '../lib/output/format.js'
import type {HealthReport} from '../lib/health/types.js'
import {DEFAULT_CONCURRENCY, DEFAULT_TIMEOUT_MS, HEALTH_ROLES} from '../lib/health/types.js'

/** Certificates are graded by days to expiry: 0 up to 10 years. */
const CERT_EXPIRY_RANGE = {max: 3650 * DAY_MS, min: 0}

export default class Health extends BaseCommand<typeof Health> {
  static summary = 'Check the web apps and the API, or with --all every role of the deployment'
  static description =
    'Roles: web apps, reverse proxies (through, from the proxy host, WebSocket, idle timeouts), agents, managers, ' +
    'connection proxies, the database, backups and zone policy. All targets are checked concurrently with a timeout ' +
    'each, so a run takes about as long as its slowest target. Exit codes follow the monitoring-plugin convention ' +
    'in every output mode, --json included.'

  static examples = [
    '<%= config.bin %> health',
    '<%= config.bin %> health --all',
    '<%= config.bin %> health --role proxy,webapp --timeout 3s',
    '<%= config.bin %> health --all --nagios',
    '<%= config.bin %> health --all --json',
    '<%= config.bin %> health --all -o prometheus > /var/lib/node_exporter/textfile/kasm.prom.$$ && mv /var/lib/node_exporter/textfile/kasm.prom.$$ /var/lib/node_exporter/textfile/kasm.prom',
    '<%= config.bin %> health --all --zone east --watch 30s',
    '<%= config.bin %> health --role agent --warn-checkin 60s --crit-checkin 3m',
    '<%= config.bin %> health --role webapp --warn-cert-expiry 30d --crit-cert-expiry 7d',
  ]

  static usageExitCode = MONITORING_UNKNOWN
  static exitCodes = exitCodeHelp([[0, 'OK'], [1, 'WARNING'], [2, 'CRITICAL'], [3, 'UNKNOWN: bad flags, no usable context, or an internal error']])

  static flags = {
    // The global -o, plus prometheus for this command.
    output: Flags.option({char: 'o', description: 'output format; prometheus: every check as OpenMetrics text', helpGroup: 'GLOBAL', options: [...OUTPUT_FORMATS, 'prometheus'] as const})(),
    all: Flags.boolean({description: 'check every role the context can check (database and backups when configured)'}),
    role: Flags.option({delimiter: ',', description: 'roles to check (comma-separated)', exclusive: ['all'], multiple: true, options: HEALTH_ROLES})(),
    zone: zoneFlag,
    timeout: durationFlag({default: DEFAULT_TIMEOUT_MS, defaultHelp: async () => formatDuration(DEFAULT_TIMEOUT_MS), description: 'timeout per target'}),
    concurrency: integerFlag({default: DEFAULT_CONCURRENCY, description: 'targets checked at once', max: 1000, min: 1}),
    watch: durationFlag({description: 'repeat every interval until Ctrl-C (redraws on a terminal, appends otherwise)'}),
    nagios: Flags.boolean({description: 'one monitoring-plugin line with perfdata', exclusive: ['json', 'output', 'watch']}),
    'warn-latency': durationFlag({description: 'web app / proxy latency warning (default 1s)', helpGroup: 'THRESHOLDS'}),
    'crit-latency': durationFlag({description: 'latency critical (default 3s)', helpGroup: 'THRESHOLDS'}),
    'warn-checkin': durationFlag({description: 'check-in age warning for agents, managers, connection proxies (default 90s)', helpGroup: 'THRESHOLDS', range: AGE_RANGE}),
    'crit-checkin': durationFlag({description: 'check-in age critical (default 5m)', helpGroup: 'THRESHOLDS', range: AGE_RANGE}),
    'warn-cert-expiry': durationFlag({description: 'certificate time-to-expiry warning, e.g. 30d (default 21d)', exclusive: ['warn-cert-days'], helpGroup: 'THRESHOLDS', range: CERT_EXPIRY_RANGE}),
    'crit-cert-expiry': durationFlag({description: 'certificate time-to-expiry critical (default 7d)', exclusive: ['crit-cert-days'], helpGroup: 'THRESHOLDS', range: CERT_EXPIRY_RANGE}),
    'warn-cert-days': integerFlag({deprecated: {to: 'warn-cert-expiry'}, description: 'deprecated: --warn-cert-expiry Nd', helpGroup: 'THRESHOLDS', max: 3650, min: 0}),
    'crit-cert-days': integerFlag({deprecated: {to: 'crit-cert-expiry'}, description: 'deprecated: --crit-cert-expiry Nd', helpGroup: 'THRESHOLDS', max: 3650, min: 0}),
    'warn-backup-age': durationFlag({description: 'newest backup age warning (default 26h)', helpGroup: 'THRESHOLDS', range: AGE_RANGE}),
    'crit-backup-age': durationFlag({description: 'newest backup age critical (default 50h)', helpGroup: 'THRESHOLDS', range: AGE_RANGE}),
  }

  async run(): Promise<HealthReport | undefined> {
    const {flags} = this
    if (flags.output === 'prometheus' && flags.watch !== undefined) {
      throw new UsageError('-o prometheus prints one run: leave out --watch and let the scraper or a timer repeat it')
    }

    const [{runHealth, resolveThresholds}, {renderNagios, renderOpenMetrics, renderReport}, {context}] = await Promise.all([
      import('../lib/health/run.js'),
      import('../lib/health/render.js'),
      this.resolvedContext(),
    ])
    const seconds = (ms: number | undefined) => (ms === undefined ? undefined : ms / 1000)
    const days = (ms: number | undefined) => (ms === undefined ? undefined : ms / DAY_MS)
    const thresholds = resolveThresholds({
      backupAgeSeconds: {critical: seconds(flags['crit-backup-age']), warning: seconds(flags['warn-backup-age'])},
      certDays: {critical: flags['crit-cert-days'] ?? days(flags['crit-cert-expiry']), warning: flags['warn-cert-days'] ?? days(flags['warn-cert-expiry'])},
      checkinSeconds: {critical: seconds(flags['crit-checkin']), warning: seconds(flags['warn-checkin'])},
      latencyMs: {critical: flags['crit-latency'], warning: flags['warn-latency']},
    })
    const check = () =>
      runHealth({
        all: flags.all,
        client: () => this.kasm(),
        concurrency: flags.concurrency,
        context,
        roles: flags.role,
        thresholds,
        timeoutMs: flags.timeout,
        zone: flags.zone,
      })

    if (flags.watch !== undefined) {
      const [{watchHealth}, toYaml] = await Promise.all([import('../lib/health/watch.js'), this.format === 'yaml' ? yamlRenderer() : undefined])
      const last = await watchHealth(check, flags.watch, {
        json: this.jsonEnabled(),
        render: (report) => (toYaml ? toYaml(report) : renderReport(report, this.term.chalk)),
        tty: this.term.stdoutIsTTY,
      })
      process.exitCode = last?.exitCode ?? MONITORING_UNKNOWN
      return undefined
    }

    const report = await check()
    process.exitCode = report.exitCode
    if (flags.nagios) {
      this.log(renderNagios(report))
      return undefined
    }

    if (flags.output === 'prometheus') {
      this.log(renderOpenMetrics(report))
      return undefined
    }

    return this.emit(report, (r) => renderReport(r, this.term.chalk))
  }

  public async catch(error: Error & {exitCode?: number}): Promise<void> {
    if (this.argv.includes('--nagios') && !(error instanceof Errors.ExitError)) {
      const {nagiosUnknown} = await import('../lib/health/render.js')
      process.stdout.write(`${nagiosUnknown(error.message)}\n`)
    }

    return super.catch(error)
  }
}
