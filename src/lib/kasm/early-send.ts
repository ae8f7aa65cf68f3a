import {resolveContext} from '../config/resolve.js'
import {curlMismatch, sendWithCurl} from './curl.js'
import {offerEarlyAnswer, offerEarlyContext} from './early-answers.js'
import type {EarlyRead} from './early-read.js'
import {clientOptionsFromContext, DEFAULT_TIMEOUT_MS, kasmBaseUrl, prepareRequest} from './request.js'

/**
 * Resolves the context as the command will, offers it to the command, and has curl (curl.ts) send
 * the command's first reads, each answer offered for the very same request. Nothing here fails the
 * command: without a context, curl or an answer, the command meets and reports the problem itself,
 * or asks on its own. bin/run.js loads this as one bundle (scripts/bundle.mjs).
 */
export async function sendEarlyReads({context: flagContext, reads}: {context?: string; reads: readonly EarlyRead[]}): Promise<void> {
  try {
    const resolved = await resolveContext(flagContext)
    offerEarlyContext(flagContext, resolved)
    const {context} = resolved
    const options = await clientOptionsFromContext(context)
    const trust = {caFile: context.api.tls?.caFile, insecure: context.api.tls?.insecure}
    if (curlMismatch({...trust, url: kasmBaseUrl(options.url)})) return
    for (const {body, method} of reads) {
      const request = prepareRequest(options, method, body)
      const {hold, outcome} = sendWithCurl({...request, ...trust, timeoutMs: options.timeoutMs ?? DEFAULT_TIMEOUT_MS})
      offerEarlyAnswer(request.key, async () => {
        hold(true)
        const answer = await outcome
        hold(false)
        return answer
      })
    }
  } catch {
    // A bad config, secret or CA file: the command meets it and reports it with its hint.
  }
}
