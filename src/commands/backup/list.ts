import {Flags} from '@oclif/core'

import {BaseCommand} from '../../base-command.js'
import {backupDestFlag} from '../../flags.js'
import {NoContextError} from '../../lib/errors.js'
import type {BackupListEntryJson} from '../../lib/backup/render.js'

export default class BackupList extends BaseCommand<typeof BackupList> {
  static summary = 'List backups: time, age, size, format, and whether their checksum is in order'
  static description =
    'Reads the backup directory (--dest or the context\'s backup.dir); with --dest and no context selected, lists every context\'s backups. Without --checksums the listing is cheap: ' +
    'each file\'s size is checked against its manifest, and only a file never hashed since kasmctl wrote it (copied, changed, or without a manifest) is hashed; ' +
    '"ok" means those checks passed. --checksums (--verify) hashes every file ("verified"). A backup that fails a check shows as DAMAGED, with the reason.'

  static examples = [
    '<%= config.bin %> backup list',
    '<%= config.bin %> backup list --dest /var/backups/kasm --checksums',
    '<%= config.bin %> backup list --all-contexts --json',
  ]

  static flags = {
    dest: backupDestFlag,
    checksums: Flags.boolean({aliases: ['verify'], description: 'hash every backup and compare it with its .sha256 (reads every file)'}),
    'all-contexts': Flags.boolean({description: "also list other contexts' backups in the same directory"}),
  }

  async run(): Promise<{dir: string; backups: BackupListEntryJson[]}> {
    const [{listBackups}, {backupDir}, {contextSlug}, render] = await Promise.all([
      import('../../lib/backup/catalog.js'),
      import('../../lib/backup/destination.js'),
      import('../../lib/backup/naming.js'),
      import('../../lib/backup/render.js'),
    ])
    // A directory alone is enough (a standby or backup server has no context): then every context's backups are listed.
    const context = await this.resolvedContext().then(
      (resolved) => resolved.context,
      (error: Error) => {
        if (this.flags.dest && error instanceof NoContextError) return undefined
        throw error
      },
    )
    const dir = backupDir(this.flags.dest, context)
    const entries = await listBackups(dir, {
      checksums: this.flags.checksums,
      context: this.flags['all-contexts'] || !context ? undefined : contextSlug(context.name),
    })
    const backups = entries.map((entry) => render.listEntryJson(entry))
    return this.emit({backups, dir}, (data) => render.renderBackupList(data.backups))
  }
}
