import {expect} from 'chai'
import {spawn} from 'node:child_process'
import {once} from 'node:events'
import {fileURLToPath} from 'node:url'

const MODULE = JSON.stringify(fileURLToPath(new URL('../../src/lib/interrupt.ts', import.meta.url)))

/** A process whose work reports the abort and then runs on for `lingerMs` (a safe point far away). */
function startWorker(lingerMs: number) {
  const script = `import {withInterrupt} from ${MODULE}
    const keepAlive = setInterval(() => undefined, 1000) // a signal listener alone does not keep a process alive
    const result = await withInterrupt(async (signal) => {
      console.log('working')
      await new Promise((resolve) => signal.addEventListener('abort', resolve))
      console.log('aborted by ' + signal.reason)
      await new Promise((resolve) => setTimeout(resolve, ${lingerMs}))
      return 'stopped cleanly'
    })
    clearInterval(keepAlive)
    console.log(result)`
  const child = spawn(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script], {stdio: ['ignore', 'pipe', 'inherit']})
  let stdout = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
  const exited = once(child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>
  const output = async (text: string): Promise<void> => {
    while (!stdout.includes(text)) await once(child.stdout, 'data')
  }

  return {child, exited, output, stdout: () => stdout}
}

describe('lib/interrupt', function () {
  this.timeout(30_000)

  it('the first Ctrl-C aborts the work\'s signal (reason SIGINT) and lets it finish: the process is not killed', async () => {
    const worker = startWorker(200)
    await worker.output('working')
    worker.child.kill('SIGINT')
    expect(await worker.exited).to.deep.equal([0, null])
    expect(worker.stdout()).to.equal('working\naborted by SIGINT\nstopped cleanly\n')
  })

  it('a second signal while the work winds down ends the process as usual', async () => {
    const worker = startWorker(20_000)
    await worker.output('working')
    worker.child.kill('SIGTERM')
    await worker.output('aborted by SIGTERM')
    worker.child.kill('SIGINT')
    expect(await worker.exited).to.deep.equal([null, 'SIGINT'])
  })
})
