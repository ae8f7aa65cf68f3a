import {BaseCommand, CONTEXT_FREE_FLAGS} from '../../base-command.js'
import {exitCodeHelp} from '../../lib/errors.js'
import type {SandboxStatus} from '../../lib/sandbox/manager.js'

export default class SandboxStatusCommand extends BaseCommand<typeof SandboxStatusCommand> {
  static exitCodes = exitCodeHelp([0, 1, 64])
  static baseFlags = CONTEXT_FREE_FLAGS
  static summary = 'Show whether the sandbox runs: processes, ports, URLs, web apps and faults'
  static examples = ['<%= config.bin %> sandbox status', '<%= config.bin %> sandbox status --json']

  async run(): Promise<SandboxStatus> {
    const [{sandboxStatus}, {sandboxDir}, {describeFault}, {renderDetails, renderTable}] = await Promise.all([
      import('../../lib/sandbox/manager.js'),
      import('../../lib/sandbox/state.js'),
      import('../../lib/sandbox/control.js'),
      import('../../lib/output/table.js'),
    ])
    const status = await sandboxStatus(sandboxDir())
    return this.emit(status, (s) => {
      if (s.state === 'absent') return `No sandbox in ${s.dir}: run \`kasmctl sandbox up\`.`
      const pid = (p: {pid: number | null; running: boolean}) => (p.running ? `running (pid ${p.pid})` : 'stopped')
      const details = renderDetails([
        ['Sandbox', `${s.state} (${s.dir})`],
        ['Kasm version', s.kasmVersion],
        ['API', s.apiUrl],
        ['PostgreSQL', `${pid(s.postgres!)} on 127.0.0.1:${s.postgres!.port}`],
        ['Daemon', `${pid(s.daemon!)}, control API on 127.0.0.1:${s.daemon!.controlPort}`],
        ['Proxies', s.proxies.map((p) => p.url).join(', ')],
        ['Faults', s.faults.length === 0 ? 'none' : s.faults.map((f) => describeFault(f)).join('; ')],
      ])
      const webapps = renderTable(
        [
          {get: (w: SandboxStatus['webapps'][number]) => w.name, header: 'web app'},
          {get: (w) => w.url, header: 'url'},
          {get: (w) => (w.running === null ? 'unknown' : w.running ? 'running' : 'stopped'), header: 'state'},
        ],
        s.webapps,
      )
      return `${details}\n\n${webapps}${s.state === 'running' ? '' : '\n\nRun `kasmctl sandbox up` to start it again.'}`
    })
  }
}
