import {Args, Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {backupDestFlag} from '../../flags.js'
import type {VerifyResult} from '../../lib/backup/verify.js'

export default class BackupVerify extends BaseCommand<typeof BackupVerify> {
  static summary = 'Check a backup: checksum, pg_restore --list, and optionally a test restore with row counts'
  static description =
    'Exits 1 when a check fails, naming the reason. --restore-test restores into a throwaway local PostgreSQL ' +
    '(or a scratch database on --target-url, password from KASMCTL_TARGET_PASSWORD), compares the row counts ' +
    'with the manifest, then drops it. A throwaway PostgreSQL or scratch database left by a killed run is removed by the next ' +
    'one on the same host, with a warning (the scratch database names its run in its comment).'

  static examples = [
    '<%= config.bin %> backup verify --latest',
    '<%= config.bin %> backup verify /var/backups/kasm/kasm_db_prod_20250101T020000Z.tar.zst --restore-test',
    'KASMCTL_TARGET_PASSWORD=... <%= config.bin %> backup verify --latest --restore-test --target-url postgres://postgres@standby:5432/postgres',
  ]

  static args = {file: Args.string({description: 'backup file (default with --latest: the newest complete backup)'})}

  static flags = {
    latest: Flags.boolean({description: "verify the newest complete backup of the context's backup directory"}),
    dest: backupDestFlag,
    'restore-test': Flags.boolean({description: 'restore into a scratch database and compare row counts with the manifest'}),
    'target-url': Flags.string({dependsOn: ['restore-test'], description: 'server for the scratch database (no password in the URL)'}),
  }

  async run(): Promise<VerifyResult> {
    const [{verifyBackup}, {backupToUse}, {renderVerify}] = await Promise.all([
      import('../../lib/backup/verify.js'),
      import('../../lib/backup/select.js'),
      import('../../lib/backup/render.js'),
    ])
    const path = await backupToUse(this.args.file, this.flags.latest, this.flags.dest, () => this.resolvedContext())
    const result = await verifyBackup(path, {
      onWarning: (message) => this.warn(message),
      restoreTest: this.flags['restore-test'],
      targetPassword: process.env.KASMCTL_TARGET_PASSWORD,
      targetUrl: this.flags['target-url'],
    })
    this.emit(result, renderVerify)
    if (!result.ok) {
      const failed = result.checks.find((check) => !check.ok)
      if (!this.jsonEnabled()) process.stderr.write(`Error: ${result.file} failed verification (${failed?.name}): ${failed?.message}\n`)
      process.exitCode = 1
    }

    return result
  }
}
