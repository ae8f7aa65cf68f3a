import type {ZoneNameEvent} from './zone-name.js'

/** Shows a run's progress; `end()` once the run is over (whatever its outcome). */
export interface Progress {
  onEvent(event: ZoneNameEvent): void
  end(): Promise<void>
}

/** No progress (--json, -o yaml: stdout carries the document, and nothing else is wanted). */
export const silentProgress: Progress = {
  async end() {},
  onEvent() {},
}

/** One plain line per step on stderr: for logs, cron and pipes. */
export function plainProgress(write: (line: string) => void = (line) => process.stderr.write(`${line}\n`)): Progress {
  const waiting = new Set<string>()
  return {
    async end() {},
    onEvent(event) {
      const detail = event.message ? ` (${event.message})` : ''
      if (event.step === 'host') {
        write(`${event.host}: ${event.state === 'failed' ? 'FAILED' : event.state}${detail}`)
        return
      }

      const label = `${event.host}: ${event.phase === 'rollback' ? 'rollback ' : ''}${event.step}`
      switch (event.state) {
        case 'started': {
          write(`${label} ...`)
          break
        }

        case 'waiting': {
          // Once per step: the poll repeats every second.
          if (!waiting.has(label)) write(`${label}: ${event.message}`)
          waiting.add(label)
          break
        }

        case 'done': {
          write(`${label}: ok${detail}`)
          break
        }

        case 'skipped': {
          write(`${label}: skipped${detail}`)
          break
        }

        case 'failed': {
          write(`${label}: FAILED${detail}`)
          break
        }
      }
    },
  }
}

interface HostTask {
  settle?: (outcome: {error?: Error; skipped?: string}) => void
  outcome?: {error?: Error; skipped?: string}
  update?: (title: string, output?: string) => void
  title?: string
  output?: string
}

/**
 * listr2 on a terminal: one line per host, in the order the run takes them, showing its current
 * step; hosts the run never reached end as skipped.
 */
export async function listrProgress(hosts: string[]): Promise<Progress> {
  const {Listr} = await import('listr2')
  const tasks = new Map<string, HostTask>(hosts.map((name) => [name, {}]))
  const finish = (name: string, outcome: HostTask['outcome']) => {
    const task = tasks.get(name)
    if (!task || task.outcome) return
    task.outcome = outcome
    task.settle?.(outcome!)
  }

  const list = new Listr(
    hosts.map((name) => ({
      async task(_context: unknown, task: {title: string; output: string; skip(message?: string): void}) {
        const state = tasks.get(name)!
        state.update = (title, output) => {
          task.title = title
          if (output !== undefined) task.output = output
        }

        if (state.title) state.update(state.title, state.output)
        const outcome = await new Promise<NonNullable<HostTask['outcome']>>((resolve) => {
          if (state.outcome) resolve(state.outcome)
          else state.settle = resolve
        })
        if (outcome.error) throw outcome.error
        if (outcome.skipped) task.skip(outcome.skipped)
      },
      title: name,
    })),
    {concurrent: false, exitOnError: false, registerSignalListeners: false, renderer: 'default'},
  )
  const rendering = list.run().catch(() => undefined)

  return {
    async end() {
      for (const name of hosts) finish(name, {skipped: `${name}: not reached`})
      await rendering
    },
    onEvent(event) {
      const task = tasks.get(event.host)
      if (!task) return
      const phase = event.phase === 'rollback' ? 'rolling back: ' : ''
      if (event.step === 'host') {
        if (event.state === 'done' && event.message) task.update?.(`${event.host}: ${event.message}`)
        if (event.state === 'failed') finish(event.host, {error: new Error(`${event.host}: ${event.message ?? 'failed'}`)})
        else if (event.state === 'skipped') finish(event.host, {skipped: `${event.host}: ${event.message ?? 'skipped'}`})
        else finish(event.host, {})
        return
      }

      task.title = `${event.host}: ${phase}${event.step}`
      task.output = event.message
      task.update?.(task.title, task.output)
    },
  }
}
