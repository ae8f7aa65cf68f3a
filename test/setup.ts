/**
 * Mocha root hooks. The sandbox harness (test/helpers/sandbox.ts) registers its teardown here so
 * that one sandbox serves the whole run and nothing is left running afterwards.
 */
import {stopSharedSandbox} from './helpers/sandbox.js'

export const mochaHooks = {
  async afterAll(): Promise<void> {
    await stopSharedSandbox()
  },
}
