import type {HttpResponse} from './transport.js'

/**
 * Answers to the first reads of a command, asked by a worker while kasmctl was still starting
 * (early-read.ts), by request: the client takes one only for the same request, byte for byte.
 * A module of its own, with no imports, so that bin/run.js loads nothing else to offer them.
 */
const answers = new Map<string, () => Promise<HttpResponse>>()

/** `take` is called at most once, when the command makes the same request. */
export function offerEarlyAnswer(key: string, take: () => Promise<HttpResponse>): void {
  answers.set(key, take)
}

/** The answer to this request if it was asked early, once; undefined otherwise. */
export function takeEarlyAnswer(key: string): Promise<HttpResponse> | undefined {
  const take = answers.get(key)
  answers.delete(key)
  return take?.()
}
