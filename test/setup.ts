/**
 * Mocha's global fixtures, which run in the main process, in parallel and serial runs alike. Every sandbox of a run
 * (test/helpers/sandbox.ts) lives in one run directory, which the workers inherit: a worker keeps its sandbox from one
 * file to the next, and the run stops them all at its end, so nothing is left running.
 */
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

import {RUN_DIR, stopSandboxesUnder} from './helpers/sandbox.js'

/** In the main process, before any worker starts. */
export async function mochaGlobalSetup(): Promise<void> {
  process.env[RUN_DIR] = await mkdtemp(join(tmpdir(), 'kasmctl-test-run-'))
}

/** In the main process, once every worker has finished. */
export async function mochaGlobalTeardown(): Promise<void> {
  if (process.env[RUN_DIR]) await stopSandboxesUnder(process.env[RUN_DIR])
}

