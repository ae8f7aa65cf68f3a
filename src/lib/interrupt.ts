/**
 * Runs `work` with an AbortSignal that the first Ctrl-C or SIGTERM aborts (its reason: the signal's
 * name), so that long work stops at its next safe point and says what it leaves behind instead of
 * dying half-way. A second signal ends the process as that signal would (exit 130 / 143).
 *
 * The listener stays installed until the work is over: signal-exit (which listr2's terminal renderer
 * loads to restore the cursor) kills the process itself when it finds itself the only listener left.
 */
export async function withInterrupt<T>(work: (signal: AbortSignal) => Promise<T>): Promise<T> {
  const controller = new AbortController()
  const stopListening = (): void => {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal)
  }

  function onSignal(signal: NodeJS.Signals): void {
    if (!controller.signal.aborted) {
      controller.abort(signal)
      return
    }

    stopListening()
    process.kill(process.pid, signal) // now with its default effect (after any other handler's cleanup)
  }

  process.on('SIGINT', onSignal).on('SIGTERM', onSignal)
  try {
    return await work(controller.signal)
  } finally {
    stopListening()
  }
}
