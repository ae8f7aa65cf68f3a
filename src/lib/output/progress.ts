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

  const {Listr} = await import('listr2')
  let result: T | undefined
  await new Listr(
    [
      {
        async task(_ctx, task) {
          result = await work((line) => {
            task.output = line
          })
        },
        title: options.title,
      },
    ],
    {concurrent: false, exitOnError: true, renderer: 'default', rendererOptions: {collapseErrors: false}},
  ).run()
  return result as T
}

/**
 * Runs `work` with an AbortSignal tied to Ctrl-C / SIGTERM: the first signal asks the work to stop
 * at its next safe point (a purge commits the batch in flight first); a second one exits at once.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const interrupt = new AbortController()
  const onSignal = (): void => {
    if (interrupt.signal.aborted) process.exit(130)
    interrupt.abort()
  }

  process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  try {
    return await work(interrupt.signal)
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  }
}
