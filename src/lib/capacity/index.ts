/**
 * The capacity model: per-agent free resources and session placement the way Kasm does it
 * (kasm-verified.md §1 "agent capacity", §3 "Sizing inputs"). Pure, no I/O, no oclif.
 *
 * - model.ts: resources, which session states count, "does size S fit on agent A", slots per agent.
 * - placement.ts: the zone's load strategy (chooseAgent) and placing sessions one by one.
 * - scenarios.ts: losing agents, room now / N+1 / N+2, taking agents out with headroom.
 * - from-kasm.ts: building the model from get_servers / get_kasms / get_images / get_zones.
 */
export * from './from-kasm.js'
export * from './model.js'
export * from './placement.js'
export * from './scenarios.js'
