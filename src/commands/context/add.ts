import {Args, Flags} from '@oclif/core'

import {BaseCommand, CONTEXT_FREE_FLAGS} from '../../base-command.js'
import type {SecretRef} from '../../lib/config/types.js'
import {AUTH_STYLES} from '../../lib/config/types.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import {UsageError, exitCodeHelp} from '../../lib/errors.js'

export default class ContextAdd extends BaseCommand<typeof ContextAdd> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static args = {name: Args.string({description: 'context name', required: true})}
  static summary = 'Add a context: a Kasm deployment and how to reach it'
  static description = `The API secret is never a flag value: read it from stdin (--api-secret-stdin), from an environment
variable or a file at each use (--api-secret-env, --api-secret-file), or type it at a masked prompt (stored in the
0600 config file).`

  static examples = [
    'printf %s "$SECRET" | <%= config.bin %> context add prod --api-url https://kasm.example.com --api-key AbCdEf123456 --api-secret-stdin',
    '<%= config.bin %> context add lab --api-url https://kasm.lab --api-key K --api-secret-env KASM_SECRET --ca-file lab-ca.pem --use',
    '<%= config.bin %> context add prod --overwrite --api-url https://kasm.example.com --api-key K --api-secret-file /etc/kasm/secret --db-url "postgres://kasmapp@db.internal:5432/kasm?sslmode=require" --db-password-file /etc/kasm/dbpass --host name=web1,address=10.0.0.5,roles=webapp,ssh=root@10.0.0.5 --reverse-proxy https://kasm.example.com --backup-dir /var/backups/kasm',
  ]

  static flags = {
    'api-key': Flags.string({description: 'Kasm API key (Settings → Developers)', required: true}),
    'api-secret-env': Flags.string({description: 'read the API secret from this environment variable at each use'}),
    'api-secret-file': Flags.string({description: 'read the API secret from this file at each use'}),
    'api-secret-stdin': Flags.boolean({description: 'read the API secret from stdin and store it in the config file'}),
    'api-url': Flags.string({description: 'Kasm URL, e.g. https://kasm.example.com', required: true}),
    auth: Flags.option({default: 'body', description: 'how the API key is sent (basic: only newer Kasm reads it; 1.15 does not)', options: AUTH_STYLES})(),
    'backup-dir': Flags.string({description: 'backup directory for `kasmctl backup`'}),
    'ca-file': Flags.string({
      description:
        'PEM CA bundle that signed the Kasm certificate. It REPLACES the system CAs and NODE_EXTRA_CA_CERTS for the API: include public roots in it if a public certificate must verify too',
    }),
    'db-password-env': Flags.string({description: 'database password from this environment variable', exclusive: ['db-password-file']}),
    'db-password-file': Flags.string({description: 'database password from this file'}),
    'db-url': Flags.string({description: 'database URL without password, e.g. postgres://kasmapp@db:5432/kasm?sslmode=require'}),
    'default-zone': Flags.string({description: 'zone used when a zone command names none'}),
    host: Flags.string({description: 'inventory host: name=,address=,roles=webapp+agent+db+connection-proxy+proxy,ssh=,kasm-root=,url=', multiple: true}),
    insecure: Flags.boolean({description: 'do not verify the TLS certificate (warned about on every use)'}),
    overwrite: Flags.boolean({description: 'replace an existing context of that name'}),
    'reverse-proxy': Flags.string({
      aliases: ['proxy'],
      deprecateAliases: true,
      description: 'URL of a Kasm reverse proxy / load balancer in front of the web apps, checked by `health` (not a forward proxy: kasmctl uses HTTPS_PROXY for that). --proxy is a deprecated alias',
      multiple: true,
    }),
    use: Flags.boolean({description: 'make it the current context'}),
    'dry-run': dryRunFlag,
    yes: yesFlag,
  }

  static mutates = true

  async run(): Promise<{name: string; current: boolean; path: string; dryRun: boolean}> {
    const {flags} = this
    const {findContext, loadConfig, saveConfig} = await import('../../lib/config/store.js')
    const {addContext, checkContextFiles, parseHostSpec} = await import('../../lib/config/contexts.js')
    const secret = await this.readSecret()
    const dbPassword: SecretRef | undefined = flags['db-password-env'] === undefined ? (flags['db-password-file'] === undefined ? undefined : {file: flags['db-password-file']}) : {env: flags['db-password-env']}
    const loaded = await loadConfig()
    addContext(
      loaded,
      {
        api: {auth: flags.auth, key: flags['api-key'], secret, tls: flags['ca-file'] !== undefined || flags.insecure ? {caFile: flags['ca-file'], insecure: flags.insecure || undefined} : undefined, url: flags['api-url']},
        backup: flags['backup-dir'] === undefined ? undefined : {dir: flags['backup-dir']},
        database: flags['db-url'] === undefined ? undefined : {password: dbPassword, url: flags['db-url']},
        defaultZone: flags['default-zone'],
        hosts: flags.host?.map((spec) => parseHostSpec(spec)),
        name: this.args.name,
        proxies: flags['reverse-proxy'],
      },
      {overwrite: flags.overwrite, use: flags.use},
    )
    await checkContextFiles(findContext(loaded.file, this.args.name))
    const dryRun = flags['dry-run'] ?? false
    if (!dryRun) await saveConfig(loaded)
    if (flags.insecure) this.warn(`context "${this.args.name}" will not verify TLS certificates`)
    // Kasm 1.15 ignores an Authorization: Basic header (kasm-verified.md §1).
    if (flags.auth === 'basic') this.warn('--auth basic: only newer Kasm versions read HTTP Basic; Kasm 1.15 ignores it and answers 400 "Invalid Request" (use --auth body or --auth headers there)')
    const result = {current: loaded.file.currentContext === this.args.name, dryRun, name: this.args.name, path: loaded.path}
    return this.emit(result, (r) => `Context "${r.name}" ${r.dryRun ? 'checked; it would be saved to' : 'saved to'} ${r.path}${r.current ? ' (current)' : ''}.`)
  }

  private async readSecret(): Promise<SecretRef> {
    const {flags} = this
    const sources = [flags['api-secret-stdin'] || undefined, flags['api-secret-env'], flags['api-secret-file']].filter((source) => source !== undefined)
    if (sources.length > 1) throw new UsageError('give the API secret one way only: --api-secret-stdin, --api-secret-env or --api-secret-file')
    if (flags['api-secret-env'] !== undefined) return {env: flags['api-secret-env']}
    if (flags['api-secret-file'] !== undefined) return {file: flags['api-secret-file']}
    if (flags['api-secret-stdin']) {
      const value = await readStdin()
      if (!value) throw new UsageError('--api-secret-stdin: stdin was empty')
      return {value}
    }

    if (!this.term.interactive) {
      throw new UsageError('no API secret given, and stdin is not a terminal to prompt for it', {
        hint: 'use --api-secret-stdin, --api-secret-env NAME or --api-secret-file PATH',
      })
    }

    const {askSecret} = await import('../../lib/output/prompt.js')
    return {value: await askSecret('API secret')}
  }
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = []
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer)
  return Buffer.concat(chunks).toString('utf8').split('\n')[0].trim()
}
