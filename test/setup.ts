/**
 * Mocha's root hooks and global fixtures. Every sandbox of a run (test/helpers/sandbox.ts) lives in one run
 * directory, which the parallel workers inherit. A worker keeps its sandbox from one file to the next (root hooks run
 * per file in a worker), and the run stops them all at its end, so nothing is left running.
 */
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {RUN_DIR, stopSandboxesUnder, stopSharedSandbox} from './helpers/sandbox.js'

/** In the main process, before any worker starts. */
export async function mochaGlobalSetup(): Promise<void> {
  process.env[RUN_DIR] = await mkdtemp(join(tmpdir(), 'kasmctl-test-run-'))
}

/** In the main process, once every worker has finished. */
export async function mochaGlobalTeardown(): Promise<void> {
  if (process.env[RUN_DIR]) await stopSandboxesUnder(process.env[RUN_DIR])
}

export const mochaHooks = {
  async afterAll(): Promise<void> {
    // Run serially (mocha --no-parallel), this process's sandboxes are done with once the run's files are.
    if (!process.env.MOCHA_WORKER_ID) await stopSharedSandbox()
  },
}
