import type {ResolvedContext} from '../config/resolve.js'
import type {HttpResponse} from './transport.js'

/**
 * What was read while kasmctl was still starting (early-read.ts), for the command to take: the
 * answers to its first reads, by request (the client takes one only for the same request, byte for
 * byte), and the context they were asked with. A module of its own, with no imports, so that
 * the command's client loads nothing else to take them.
 */
const answers = new Map<string, () => Promise<EarlyAnswer>>()
const contexts = new Map<string, ResolvedContext>()

/**
 * An answer asked early: Kasm's HTTP answer, a network failure the client counts as its first
 * attempt, or undefined when there is none (the client then asks itself). Plain data only: the
 * early reads run from their own bundle (scripts/bundle.mjs), whose classes are not the command's.
 */
export type EarlyAnswer = HttpResponse | {failure: {code: string; message: string}} | undefined

/** `take` is called at most once, when the command makes the same request. */
export function offerEarlyAnswer(key: string, take: () => Promise<EarlyAnswer>): void {
  answers.set(key, take)
}

/** The answer to this request if it was asked early, once; undefined otherwise. */
export function takeEarlyAnswer(key: string): Promise<EarlyAnswer> | undefined {
  const take = answers.get(key)
  answers.delete(key)
  return take?.()
}

/** The context resolved for the early reads, for the command given the same --context (or none). Only a context that resolved is offered: an error is the command's to raise. */
export function offerEarlyContext(flagContext: string | undefined, resolved: ResolvedContext): void {
  contexts.set(flagContext ?? '', resolved)
}

export function takeEarlyContext(flagContext: string | undefined): ResolvedContext | undefined {
  const resolved = contexts.get(flagContext ?? '')
  contexts.delete(flagContext ?? '')
  return resolved
}
