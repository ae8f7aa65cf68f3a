import {Flags} from '@oclif/core'

import {BaseCommand, CONTEXT_FREE_FLAGS} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import type {UpPlan} from '../../lib/sandbox/manager.js'
import {KASM_VERSIONS, type KasmVersion} from '../../lib/kasm/version.js'

export interface SandboxUpJson {
  status: 'already-running' | 'started'
  dir: string
  elapsedMs: number
  context: string
  /** The sandbox context is the current one. */
  current: boolean
  kasmVersion: KasmVersion
  apiUrl: string
  databaseUrl: string
  webapps: Array<{name: string; url: string}>
  proxies: string[]
  dryRun: false
}

/** `sandbox up --dry-run`: the plan, nothing started or written. */
export type SandboxUpPlanJson = UpPlan & {dryRun: true}

export default class SandboxUp extends BaseCommand<typeof SandboxUp> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static summary = 'Start the sandbox: a local multi-zone Kasm stand-in on a real PostgreSQL'
  static description = `Creates (or finds running) a PostgreSQL cluster seeded like a small Kasm deployment, the API
simulator web apps, HTTP and HTTPS reverse proxies, and host directories with the Kasm layout, then
writes a "sandbox" context to your config. Idempotent: when the sandbox already runs it says so.
State lives in $KASMCTL_SANDBOX_DIR, else $XDG_DATA_HOME/kasmctl/sandbox.`

  static examples = [
    '<%= config.bin %> sandbox up',
    '<%= config.bin %> sandbox up --use-context',
    '<%= config.bin %> sandbox up --kasm-version 1.15 --json',
    '<%= config.bin %> sandbox up --kasm-version 1.16',
    '<%= config.bin %> sandbox up --dry-run   # what would be started, changing nothing',
  ]

  static mutates = true

  static flags = {
    'kasm-version': Flags.option({
      description: 'Kasm release to imitate (default 1.19): its schema (alembic revision, columns), seed and API (1.15: no RDP zone fields; 1.16: one; 1.19: all 7, and *_bytes memory names). To change the version of a running sandbox, `sandbox down` first',
      options: KASM_VERSIONS,
    })(),
    'use-context': Flags.boolean({description: 'make "sandbox" the current context even if another one is current'}),
    'dry-run': dryRunFlag,
    yes: yesFlag,
  }

  async run(): Promise<SandboxUpJson | SandboxUpPlanJson> {
    const [{planSandboxUp, sandboxUp}, {sandboxDir}, {withProgress}] = await Promise.all([
      import('../../lib/sandbox/manager.js'),
      import('../../lib/sandbox/state.js'),
      import('../../lib/output/progress.js'),
    ])
    const dir = sandboxDir()
    if (this.flags['dry-run']) {
      const plan = await planSandboxUp({dir, kasmVersion: this.flags['kasm-version']})
      return this.emit({...plan, dryRun: true as const}, (r) => [`Sandbox in ${r.dir} is ${r.state}. Would (dry run, nothing changed):`, ...r.steps.map((step) => `  ${step}`)].join('\n'))
    }

    const tty = this.term.stdoutIsTTY && this.format === 'table'
    const quiet = this.format !== 'table'
    const result = await withProgress({plainEveryMs: 0, title: 'sandbox up', tty}, (report) =>
      sandboxUp({
        dir,
        kasmVersion: this.flags['kasm-version'],
        onStep: quiet ? undefined : report,
        useContext: this.flags['use-context'],
      }),
    )
    const {context, state} = result
    const json: SandboxUpJson = {
      apiUrl: context.api.url,
      context: context.name,
      current: result.madeCurrent,
      databaseUrl: context.database!.url,
      dir,
      dryRun: false,
      elapsedMs: Math.round(result.elapsedMs),
      kasmVersion: state.kasmVersion,
      proxies: context.proxies ?? [],
      status: result.alreadyRunning ? 'already-running' : 'started',
      webapps: state.webapps.map((w) => ({name: w.name, url: `http://127.0.0.1:${w.port}`})),
    }
    return this.emit(json, (r) => {
      const {chalk} = this.term
      const headline =
        r.status === 'started'
          ? `${chalk.green('Sandbox is up')} (Kasm ${r.kasmVersion}) in ${(r.elapsedMs / 1000).toFixed(1)} s (${r.dir}).`
          : `Sandbox is already running (Kasm ${r.kasmVersion}, ${r.dir}).`
      const contextLine = r.current
        ? `Context "${r.context}" is the current context.`
        : `Context "${r.context}" written; your current context is unchanged (use --context sandbox, or \`kasmctl context use sandbox\`).`
      const flag = r.current ? '' : ' --context sandbox'
      return [
        headline,
        `  API (HTTPS proxy)  ${r.apiUrl}`,
        `  HTTP proxy         ${r.proxies.find((p) => p.startsWith('http:')) ?? '-'}`,
        ...r.webapps.map((w) => `  ${w.name.padEnd(17)}  ${w.url}`),
        `  database           ${r.databaseUrl}`,
        contextLine,
        '',
        'Try next:',
        `  kasmctl zone list${flag}`,
        `  kasmctl health --all${flag}`,
        '  kasmctl sandbox fault webapp-status --target webapp-1 --status 500',
        '  kasmctl sandbox status',
        '  kasmctl sandbox down',
      ].join('\n')
    })
  }
}
