import {lintZones} from '../../zones/lint.js'
import {withTimeout} from '../pool.js'
import type {RunContext} from '../run-context.js'
import type {HealthCheck} from '../types.js'

/**
 * Zone policy findings (`kasmctl zone lint`). In a health report they are WARNINGs: a setting that
 * breaks a boundary or AutoScaling is a risk to fix, not an outage (`zone lint` grades them itself).
 * `ha-min-agents` is left out when the agent checks run: they count live agents, not just enabled ones.
 */
export async function zoneChecks(run: RunContext, options: {withAgentChecks: boolean}): Promise<HealthCheck[]> {
  const started = performance.now()
  let findings
  try {
    findings = await withTimeout(run.client().then((client) => lintZones({client, context: run.context})), run.timeoutMs)
  } catch (error) {
    return [await run.check('zone', run.zone ?? '*', 'lint', async () => {
      throw error
    }, {limited: false})]
  }

  const durationMs = Math.round(performance.now() - started)
  const relevant = findings.filter((f) => (!run.zone || f.zone === run.zone) && !(options.withAgentChecks && f.rule === 'ha-min-agents'))
  if (relevant.length === 0) {
    return [await run.check('zone', run.zone ?? '*', 'lint', async () => ({durationMs, message: 'no zone policy findings', status: 'OK', threshold: null, unit: null, value: 0}), {limited: false})]
  }

  return Promise.all(
    relevant.map((finding) =>
      run.check('zone', finding.zone, finding.rule, async () => ({
        durationMs,
        message: finding.message,
        status: 'WARNING',
        threshold: null,
        unit: null,
        value: null,
      }), {limited: false}),
    ),
  )
}
