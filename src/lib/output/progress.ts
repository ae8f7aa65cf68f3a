/**
 * Runs `work` with a progress reporter: a listr2 task whose output line is redrawn on a TTY, or a
 * plain line on stderr at most every `plainEveryMs` otherwise (cron logs stay short).
 */
export async function withProgress<T>(
  options: {tty: boolean; title: string; plainEveryMs?: number},
  work: (report: (line: string) => void) => Promise<T>,
): Promise<T> {
  if (!options.tty) {
    let last = Date.now()
    return work((line) => {
      if (Date.now() - last < (options.plainEveryMs ?? 10_000)) return
      last = Date.now()
      process.stderr.write(`${options.title}: ${line}\n`)
    })
  }

  return runTerminalTask(options.title, work)
}

/** How a terminal task ends: its final title; `ok: false` marks it failed rather than with a green tick. */
export interface TaskOutcome {
  ok: boolean
  title: string
}

/**
 * One listr2 task on a TTY: `report` redraws its output line. listr2 must not catch Ctrl-C itself
 * (it would exit on its own): the command decides what an interrupt means (see lib/interrupt).
 */
export async function runTerminalTask<T>(
  title: string,
  work: (report: (line: string) => void) => Promise<T>,
  options: {persistentOutput?: boolean; outcome?: (result: T) => TaskOutcome} = {},
): Promise<T> {
  const {Listr} = await import('listr2')
  let result: T | undefined
  /** Thrown inside the task so that listr2 marks it failed; the result still goes back to the caller. */
  const notDone = new Error('not done')
  try {
    await new Listr(
      [
        {
          rendererOptions: options.persistentOutput ? {outputBar: 6, persistentOutput: true} : {},
          async task(_ctx, task) {
            result = await work((line) => {
              task.output = line
            })
            const end = options.outcome?.(result)
            if (end) task.title = end.title
            if (end?.ok === false) throw Object.assign(notDone, {message: end.title})
          },
          title,
        },
      ],
      {exitOnError: true, registerSignalListeners: false, renderer: 'default', rendererOptions: {collapseErrors: false}},
    ).run()
  } catch (error) {
    if (error !== notDone) throw error
  }

  return result as T
}
