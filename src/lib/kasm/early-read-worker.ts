/**
 * The worker of early-read.ts: resolves the context as the command will, asks the reads with the
 * same client, and posts each request's key, then its answer. Whatever fails here is left for the
 * command to meet and report.
 */
import {parentPort, workerData} from 'node:worker_threads'

import {resolveContext} from '../config/resolve.js'
import {KasmClient} from './client.js'
import type {EarlyRead, EarlyReadMessage} from './early-read.js'
import {NetworkError} from './transport.js'

const {context: contextName, reads} = workerData as {context?: string; reads: EarlyRead[]}
const post = (message: EarlyReadMessage): void => parentPort!.postMessage(message)

try {
  const {context} = await resolveContext(contextName)
  const client = await KasmClient.fromContext(context)
  await Promise.all(
    reads.map(async ({body, method}) => {
      const {key, response} = client.ask(method, body)
      post({key, type: 'asked'})
      try {
        post({key, response: await response, type: 'answer'})
      } catch (error) {
        const code = error instanceof NetworkError ? error.code : 'ERR_NETWORK'
        post({code, key, message: (error as Error).message, type: 'failed'})
      }
    }),
  )
  client.close()
} catch {
  // No context, no secret, a bad CA file: the command reports it with its hint.
}
