/** A concurrency gate shared by independent groups of tasks, so the whole run respects one limit. */
export class Limiter {
  private active = 0
  private readonly queue: Array<() => void> = []

  constructor(private readonly limit: number) {}

  async run<R>(task: () => Promise<R>): Promise<R> {
    if (this.active >= this.limit) await new Promise<void>((resolve) => this.queue.push(resolve))
    this.active++
    try {
      return await task()
    } finally {
      this.active--
      this.queue.shift()?.()
    }
  }
}

export class TimeoutError extends Error {
  constructor(readonly ms: number) {
    super(`timed out after ${ms} ms`)
    this.name = 'TimeoutError'
  }
}

/** Rejects with a TimeoutError after `ms` (the task itself is left to finish or be cleaned up by its owner). */
export async function withTimeout<R>(task: Promise<R>, ms: number): Promise<R> {
  let timer: NodeJS.Timeout | undefined
  try {
    return await Promise.race([
      task,
      new Promise<never>((_resolve, reject) => {
        timer = setTimeout(() => reject(new TimeoutError(ms)), ms)
      }),
    ])
  } finally {
    clearTimeout(timer)
  }
}
