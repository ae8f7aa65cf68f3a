import {dirname, isAbsolute} from 'node:path'

import {OperationError, UsageError} from '../errors.js'
import {findExecutable, runChild} from '../process/children.js'
import {shellJoin, shellQuote} from '../remote/shell.js'

interface FieldSpec {
  name: string
  min: number
  max: number
  names?: string[]
}

const FIELDS: FieldSpec[] = [
  {max: 59, min: 0, name: 'minute'},
  {max: 23, min: 0, name: 'hour'},
  {max: 31, min: 1, name: 'day of month'},
  {max: 12, min: 1, name: 'month', names: ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec']},
  {max: 7, min: 0, name: 'day of week', names: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat']},
]

const MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly']

/**
 * Validates a crontab schedule as Debian's cron reads it: five fields of `*`, numbers, ranges `a-b`,
 * steps `*\/n` and `a-b/n`, lists `a,b`, and three-letter month/day names (alone: cron allows no
 * ranges or lists of names), or one of the @daily-style macros. Returns it with single spaces.
 */
export function validateSchedule(schedule: string): string {
  const text = schedule.trim().replaceAll(/\s+/g, ' ')
  if (text.startsWith('@')) {
    if (MACROS.includes(text.toLowerCase())) return text.toLowerCase()
    throw new UsageError(`schedule "${schedule}" is not valid: unknown macro (valid: ${MACROS.join(', ')}, or five fields like "0 2 * * *")`)
  }

  const fields = text.split(' ')
  if (fields.length !== 5) {
    throw new UsageError(`schedule "${schedule}" has ${fields.length} field(s): a cron schedule has 5 (minute hour day-of-month month day-of-week), e.g. "0 2 * * *"`)
  }

  fields.forEach((field, index) => validateField(field, FIELDS[index], schedule))
  return text
}

function validateField(field: string, spec: FieldSpec, schedule: string): void {
  const bad = (why: string): UsageError =>
    new UsageError(`schedule "${schedule}": ${spec.name} field "${field}" ${why} (valid: ${spec.min}-${spec.max}${spec.names ? ` or ${spec.names[0]}…${spec.names.at(-1)}` : ''}, *, a-b, */n, a-b/n, a,b)`)
  const name = spec.names?.indexOf(field.toLowerCase()) ?? -1
  if (name >= 0) return
  for (const item of field.split(',')) {
    const match = /^(\*|(\d+)(?:-(\d+))?)(?:\/(\d+))?$/.exec(item)
    if (!match) {
      throw bad(spec.names && /[a-z]/i.test(item) ? 'uses a name in a list, range or step, which cron does not allow' : `has an invalid item "${item}"`)
    }

    const [, , from, to, step] = match
    for (const value of [from, to]) {
      if (value !== undefined && (Number(value) < spec.min || Number(value) > spec.max)) throw bad(`has ${value} out of range`)
    }

    if (from !== undefined && to !== undefined && Number(from) > Number(to)) throw bad(`has a range ${from}-${to} that runs backwards`)
    if (step !== undefined && (Number(step) < 1 || Number(step) > spec.max)) throw bad(`has a step of ${step}`)
    if (step !== undefined && from !== undefined && to === undefined) throw bad(`has a step after a single value ("${item}"); use a range, e.g. ${from}-${spec.max}/${step}`)
  }
}

export interface CronJob {
  schedule: string
  context: string
  /** The config file the job must read (cron's environment has no XDG variables). */
  configPath: string
  /** How to run kasmctl: its executable path. */
  kasmctl: string
  /** PATH for the job: where node, pg_dump, zstd and docker are found. */
  path: string
  /** Extra `backup create` flags (e.g. --dest DIR, --log-file FILE). */
  createArgs: string[]
}

/** What a `backup create` run may start: node for kasmctl itself, the PostgreSQL client tools, the compressors, docker, setpriv. */
export const CRON_TOOLS = ['node', 'pg_dump', 'pg_restore', 'psql', 'zstd', 'gzip', 'docker', 'setpriv'] as const

/**
 * The job's PATH: the directory of the node running now, then, in the caller's PATH order, only
 * the absolute directories where a tool of the job is found first. `.`, relative entries and
 * directories holding none of the tools are left out: they would make the job depend on the
 * directory cron starts it in, or run a program planted there.
 */
export function cronPath(env: NodeJS.ProcessEnv, execPath: string, tools: readonly string[] = CRON_TOOLS): string {
  const absolute = (env.PATH ?? '').split(':').filter((dir) => isAbsolute(dir))
  const found = tools.map((tool) => findExecutable(tool, {PATH: absolute.join(':')})).filter((path) => path !== undefined)
  const dirs = new Set([dirname(execPath), ...absolute.filter((dir) => found.some((path) => dirname(path) === dir))])
  return [...dirs].join(':')
}

/** Identifies the job in the crontab so that re-installing replaces it instead of adding a second one. */
/** What each cron run passes on to `backup create`: paths already absolute (cron starts in the home directory). */
export interface CronCreateOptions {
  dest?: string
  logFile?: string
  metricsFile?: string
  excludeLogs?: boolean
  compress?: string
  format?: string
  keep?: number
  /** Written as a duration (`14d`), the one syntax `--keep-age` reads. */
  keepAge?: string
  minKeep?: number
  verify?: boolean
}

/** `backup create`'s arguments for the cron line: a flag for each option given, in a fixed order. */
export function cronCreateArgs(options: CronCreateOptions): string[] {
  const flags: Array<[string, boolean | number | string | undefined]> = [
    ['--dest', options.dest],
    ['--log-file', options.logFile],
    ['--metrics-file', options.metricsFile],
    ['--exclude-logs', options.excludeLogs],
    ['--compress', options.compress],
    ['--format', options.format],
    ['--keep', options.keep],
    ['--keep-age', options.keepAge],
    ['--min-keep', options.minKeep],
    ['--verify', options.verify],
  ]
  return flags.flatMap(([flag, value]) => (value === undefined || value === false || value === '' ? [] : value === true ? [flag] : [flag, String(value)]))
}

export const cronMarker = (context: string): string => `# kasmctl backup: context ${context}`

/** The crontab line: schedule, environment, `kasmctl backup create --quiet --context X ...`, marker. `%` is escaped (cron turns it into a newline). */
export function cronLine(job: CronJob): string {
  const command = shellJoin([job.kasmctl, 'backup', 'create', '--quiet', '--context', job.context, ...job.createArgs])
  const line = `${job.schedule} PATH=${shellQuote(job.path)} KASMCTL_CONFIG=${shellQuote(job.configPath)} ${command} ${cronMarker(job.context)}`
  return line.replaceAll('%', String.raw`\%`)
}

export interface CronInstallResult {
  changed: boolean
  /** Earlier kasmctl backup lines of this context that were replaced. */
  replaced: number
}

/**
 * Installs the line into the current user's crontab (`crontab -l` / `crontab -`), replacing this context's previous one.
 * With `dryRun` the crontab is read but not written: `changed` says whether it would be.
 */
export async function installCronLine(line: string, context: string, options: {dryRun?: boolean} = {}): Promise<CronInstallResult> {
  const listed = await runChild('crontab', 'crontab', ['-l'])
  if (listed.exit.error) {
    throw new OperationError(`cannot run crontab: ${(listed.exit.error as NodeJS.ErrnoException).code ?? listed.exit.error.message}`, {
      code: 'CRONTAB_FAILED',
      hint: 'install cron (apt-get install cron), or add the line printed by --print to your scheduler',
    })
  }

  // `crontab -l` exits 1 with "no crontab for <user>" when there is none yet.
  if (listed.exit.code !== 0 && !/no crontab/i.test(listed.stderr)) {
    throw new OperationError(`crontab -l failed: ${listed.stderr.trim()}`, {code: 'CRONTAB_FAILED'})
  }

  const current = listed.exit.code === 0 ? listed.stdout.replace(/\n$/, '').split('\n') : []
  const marker = cronMarker(context)
  const ours = current.filter((existing) => existing.endsWith(marker))
  if (ours.length === 1 && ours[0] === line) return {changed: false, replaced: 0}
  const others = current.filter((existing) => !existing.endsWith(marker))
  if (options.dryRun) return {changed: true, replaced: ours.length}
  while (others.length > 0 && others.at(-1) === '') others.pop()
  const written = await runChild('crontab', 'crontab', ['-'], {input: `${[...others, line].join('\n')}\n`})
  if (written.exit.code !== 0) throw new OperationError(`crontab refused the new table: ${written.stderr.trim()}`, {code: 'CRONTAB_FAILED'})
  return {changed: true, replaced: ours.length}
}
