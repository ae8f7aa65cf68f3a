import {AuthError, ExitCode, isKasmctlError} from '../../errors.js'
import {errorMessage, healthcheckUrl, type RunContext, trimUrl} from '../run-context.js'
import type {HealthCheck} from '../types.js'
import {gradeCertificate, gradeHealthcheck} from './http.js'

/** Each inventory web app directly: /api/__healthcheck (status, body, latency) and its certificate. */
export async function webappChecks(run: RunContext): Promise<HealthCheck[]> {
  const probes = await run.webappProbes()
  return Promise.all(
    probes.flatMap(({name, probe}) => [
      run.check('webapp', name, 'healthcheck', async () => gradeHealthcheck(run, probe), {limited: false}),
      ...(probe.tls ? [run.check('webapp', name, 'certificate', async () => gradeCertificate(run, probe.tls!), {limited: false})] : []),
    ]),
  )
}

/** The context's API URL (often the load balancer): healthcheck, certificate, and an authenticated call. */
export async function apiChecks(run: RunContext): Promise<HealthCheck[]> {
  const url = trimUrl(run.context.api.url)
  const probe = run.limited(() => run.prober.get(healthcheckUrl(url)))
  const checks = [
    run.check('api', url, 'healthcheck', async () => gradeHealthcheck(run, await probe), {limited: false}),
    run.check('api', url, 'auth', async () => {
      const started = performance.now()
      try {
        const zones = await (await run.client()).getZones({brief: true})
        const ms = Math.round(performance.now() - started)
        return {message: `API key accepted (${zones.length} zones)`, status: 'OK', threshold: null, unit: 'ms', value: ms}
      } catch (error) {
        // A refused key or an unreachable API is a real outage for every kasmctl command and script.
        const status = error instanceof AuthError || (isKasmctlError(error) && error.exitCode === ExitCode.UNAVAILABLE) ? 'CRITICAL' : 'UNKNOWN'
        return {message: errorMessage(error), status, threshold: null, unit: null, value: null}
      }
    }),
  ]
  const tls = (await probe).tls
  if (tls) checks.push(run.check('api', url, 'certificate', async () => gradeCertificate(run, tls), {limited: false}))
  return Promise.all(checks)
}
