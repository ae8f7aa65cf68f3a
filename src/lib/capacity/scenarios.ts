import {compareNames} from '../text.js'
import {type AgentCapacity, compareSizeDescending, largestAgents, type Resources, type SessionLoad, slotsIn} from './model.js'
import {placeSessions, type ZonePolicy} from './placement.js'

/**
 * What-if questions on a zone's agents: losing agents (a failure, a drain), how many more sessions
 * of an image fit now and after losing the largest one or two (N+1 / N+2), and whether agents can be
 * taken out with headroom left. Pure: no I/O.
 */

/**
 * States of sessions whose users come back for a new session when their agent goes away. Sessions
 * on their way to paused/stopped or being deleted hold resources now but will not be requested again.
 */
export const RETURNING_STATES: readonly string[] = ['running', 'starting']

/** Whether a session would be requested again elsewhere if its agent went away (no status = hypothetical: yes). */
export function returnsWhenMoved(session: SessionLoad): boolean {
  return session.status === undefined || RETURNING_STATES.includes(session.status)
}

/** The agents that stay after some are lost, with the lost agents' returning sessions placed on them where they fit. */
export interface LossOutcome {
  /** Hostnames of the agents taken away. */
  lost: string[]
  /** Sessions of the lost agents that come back (see returnsWhenMoved), largest first. */
  displaced: SessionLoad[]
  /** Those of them no remaining agent had room for. */
  unplaced: SessionLoad[]
  /** The remaining agents with the displaced sessions added. */
  agents: AgentCapacity[]
}

/** Takes the agents `serverIds` away and places their returning sessions, one by one, on the others. */
export function loseAgents(agents: AgentCapacity[], serverIds: string[], policy: ZonePolicy): LossOutcome {
  const lost = agents.filter((a) => serverIds.includes(a.serverId))
  const staying = agents.filter((a) => !serverIds.includes(a.serverId))
  const displaced = lost.flatMap((a) => a.sessions.filter((s) => returnsWhenMoved(s))).sort((a, b) => compareSizeDescending(a.size, b.size))
  const placement = placeSessions(staying, displaced, policy)
  return {agents: placement.agents, displaced, lost: lost.map((a) => a.hostname), unplaced: placement.unplaced}
}

/** Loses the `count` largest available agents (largestAgents). */
export function loseLargest(agents: AgentCapacity[], count: number, policy: ZonePolicy): LossOutcome {
  return loseAgents(agents, largestAgents(agents, count).map((a) => a.serverId), policy)
}

/** Room for one size after a loss. */
export interface RoomAfterLoss {
  /** Hostnames of the agents assumed lost (fewer than asked when the zone has fewer available agents). */
  lost: string[]
  /** More sessions of the size that fit once the lost agents' sessions found a place. */
  more: number
  /** Sessions of the lost agents that found no place: users who could not get a session back. */
  unplaced: SessionLoad[]
}

/** How many more sessions of `size` fit now, after losing the largest agent (N+1) and the two largest (N+2). */
export interface Room {
  now: number
  nPlus1: RoomAfterLoss
  nPlus2: RoomAfterLoss
}

export function roomFor(agents: AgentCapacity[], size: Resources, policy: ZonePolicy): Room {
  const after = (count: number): RoomAfterLoss => {
    const outcome = loseLargest(agents, count, policy)
    return {lost: outcome.lost, more: slotsIn(outcome.agents, size), unplaced: outcome.unplaced}
  }

  return {nPlus1: after(1), nPlus2: after(2), now: slotsIn(agents, size)}
}

/** The largest session in use (cores, then memory, then gpus) on these agents; undefined when none. */
export function largestSession(agents: AgentCapacity[]): SessionLoad | undefined {
  return agents.flatMap((a) => a.sessions).sort((a, b) => compareSizeDescending(a.size, b.size))[0]
}

/**
 * Spare capacity a zone keeps after agents are taken out:
 * - `{sessions: N}`: room for N more sessions of the largest session in use (the caller's `reference`);
 * - `{agents: N}`: the zone can still lose its N largest remaining agents: their sessions find a
 *   place on the others, one by one (N+1 after the change for N = 1). At least N agents must remain.
 */
export type Headroom = {agents: number} | {sessions: number}

/** Whether taking agents out leaves room for their sessions and the headroom. */
export interface RemovalOutcome {
  ok: boolean
  /** Placing the removed agents' sessions on the agents that stay. */
  removal: LossOutcome
  /** Available agents left. */
  remainingAgents: number
  headroom: {
    ok: boolean
    /** The session size `{sessions: N}` is counted in; undefined when no session is in use. */
    reference?: SessionLoad
    /** `{sessions: N}`: sessions of `reference` that still fit after the removal. */
    more?: number
    /** `{agents: N}`: losing the N largest remaining agents as well. */
    loss?: LossOutcome
  }
}

/**
 * Can the sessions on `removingIds` be placed, one by one (largest first), on the agents that stay,
 * with `headroom` still free afterwards? Sessions of the removed agents that would not come back
 * (pausing, stopping, deleting) need no place; paused and stopped ones hold nothing anywhere.
 */
export function checkRemoval(
  agents: AgentCapacity[],
  removingIds: string[],
  policy: ZonePolicy,
  headroom: Headroom,
  reference: SessionLoad | undefined = largestSession(agents),
): RemovalOutcome {
  const removal = loseAgents(agents, removingIds, policy)
  const remainingAgents = removal.agents.filter((a) => a.available).length
  let spare: RemovalOutcome['headroom']
  if ('sessions' in headroom) {
    const more = reference ? slotsIn(removal.agents, reference.size) : undefined
    spare = {more, ok: more === undefined || more >= headroom.sessions, reference}
  } else {
    const loss = loseLargest(removal.agents, headroom.agents, policy)
    spare = {loss, ok: remainingAgents >= headroom.agents && loss.unplaced.length === 0, reference}
  }

  return {headroom: spare, ok: removal.unplaced.length === 0 && spare.ok, remainingAgents, removal}
}

/** Sessions of one image and size, e.g. those that found no place. */
export interface ImageShortfall {
  image: string
  sessions: number
  size: Resources
}

/** Groups sessions by image label and size, largest first (for messages and JSON). */
export function groupByImage(sessions: SessionLoad[]): ImageShortfall[] {
  const groups = new Map<string, ImageShortfall>()
  for (const session of sessions) {
    const key = JSON.stringify([session.image, session.size])
    const group = groups.get(key) ?? {image: session.image, sessions: 0, size: session.size}
    group.sessions++
    groups.set(key, group)
  }

  return [...groups.values()].sort((a, b) => compareSizeDescending(a.size, b.size) || compareNames(a.image, b.image))
}
