import {Args} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {dryRunFlag, yesFlag} from '../../flags.js'
import {OperationError} from '../../lib/errors.js'
import type {DestroyOutcome} from '../../lib/sessions/sessions.js'

export default class SessionDestroy extends BaseCommand<typeof SessionDestroy> {
  static summary = "Destroy sessions (the user's work in them is lost); confirmation unless --yes"
  static description = `Each ID is a session id (dashes allowed) or a unique prefix of at least 4 characters, as \`session list\` shows. Exit 1 if any could not be destroyed.

How Kasm records it: each session is ended with destroy_kasm and its owner's user_id, so Kasm acts as that user and its accounting and audit log show the user's own destroy (user_destroyed), not an admin action. The API key needs USER (100) and USERS_AUTH_SESSION (352); GLOBAL_ADMIN does not imply them. A session with no owner (a staged one) is destroyed without user_id, which needs SESSIONS_DELETE (803). To end every session of an agent as an admin action, use \`kasmctl agent drain AGENT --force\` (destroy_agent_kasms, SESSIONS_DELETE 803).`
  static examples = [
    '<%= config.bin %> session destroy 0f3c9a1e --dry-run',
    '<%= config.bin %> session destroy 0f3c9a1e 7b21d004 --yes',
    '<%= config.bin %> session destroy 0f3c9a1e --yes --json',
  ]

  static strict = false
  static args = {id: Args.string({description: 'session id or unique id prefix (several allowed)', required: true})}
  static mutates = true
  static flags = {'dry-run': dryRunFlag, yes: yesFlag}

  async run(): Promise<{dry_run: boolean; sessions: DestroyOutcome[]}> {
    const [client, sessions, {renderDestroyed}, {confirmYesNo}] = await Promise.all([
      this.kasm(),
      import('../../lib/sessions/sessions.js'),
      import('../../lib/sessions/render.js'),
      import('../../lib/output/prompt.js'),
    ])
    const [servers, {kasms}] = await Promise.all([client.getServers(), client.getKasms()])
    const targets = sessions.resolveSessions(kasms, this.positionals)
    const dryRun = this.flags['dry-run']
    let outcomes: DestroyOutcome[]
    if (dryRun) {
      outcomes = targets.map((kasm) => {
        const {hostname, kasm_id, username} = sessions.toSessionView(kasm, servers, new Date())
        return {destroyed: false, hostname, kasm_id, username}
      })
    } else {
      if (!(await confirmYesNo(`Destroy ${targets.length} session(s)? Their users lose what is unsaved.`, {interactive: this.term.interactive, yes: this.flags.yes}))) {
        throw new OperationError('not confirmed: nothing was destroyed', {code: 'NOT_CONFIRMED'})
      }

      outcomes = await sessions.destroySessions(client, targets, servers)
    }

    const failed = outcomes.filter((o) => !o.destroyed && !dryRun)
    if (failed.length > 0) {
      throw new OperationError(`${failed.length} of ${outcomes.length} session(s) could not be destroyed: ${failed.map((o) => `${o.kasm_id}: ${o.error}`).join('; ')}`, {
        details: {sessions: outcomes},
        hint: 'check them with `kasmctl session list`, then retry',
      })
    }

    return this.emit({dry_run: dryRun, sessions: outcomes}, (r) => renderDestroyed(r.sessions, r.dry_run))
  }
}
