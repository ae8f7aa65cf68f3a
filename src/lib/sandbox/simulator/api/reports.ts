import {businessError, unhandled} from '../http.js'
import type {Endpoint, Row} from './context.js'

const MAX_LIMIT = 1000

/** "YYYYMMDD HH:MM" (what the UI sends), or an ISO-like "YYYY-MM-DD HH:MM[:SS]". */
function reportDate(value: unknown): string {
  if (typeof value !== 'string') throw unhandled()
  const compact = /^(\d{4})(\d{2})(\d{2}) (\d{2}):(\d{2})$/.exec(value.trim())
  if (compact) return `${compact[1]}-${compact[2]}-${compact[3]} ${compact[4]}:${compact[5]}:00`
  if (/^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/.test(value.trim())) return value.trim().replace('T', ' ')
  throw unhandled()
}

/** Filter name → SQL over logs l; each takes one parameter. */
const FILTERS: Record<string, (p: string) => string> = {
  allowed: (p) => `l.data->>'allow' = ${p}`,
  application: (p) => `l.data->>'application' = ${p}`,
  category: (p) => `l.data->>'category' = ${p}`,
  levelname: (p) => `upper(l.levelname) = upper(${p})`,
  metricName: (p) => `l.metric_name = ${p}`,
  process: (p) => `COALESCE(l.data->>'processName', l.data->>'process') = ${p}`,
  search: (p) => `COALESCE(l.data->>'message', l.data->>'msg') ILIKE '%' || ${p} || '%'`,
  searchUser: (p) => `l.kasm_user_name ILIKE '%' || ${p} || '%'`,
  site: (p) => `l.data->>'site' = ${p}`,
}

export const reportEndpoints: Record<string, Endpoint> = {
  get_report: {
    permissions: [1700],
    write: false,
    async handle(ctx) {
      const {body} = ctx
      if (body.name !== 'logs') throw businessError(`Invalid Request: Unknown report (${String(body.name)})`)
      const params: unknown[] = []
      const param = (value: unknown) => {
        params.push(value)
        return `$${params.length}`
      }

      const where: string[] = []
      if (body.delta !== undefined && body.delta !== null) {
        const minutes = Number(body.delta)
        if (!Number.isFinite(minutes)) throw unhandled()
        where.push(`l.ingest_date > localtimestamp - make_interval(mins => ${param(Math.trunc(minutes))})`)
      } else if (body.start_date && body.end_date) {
        where.push(`l.ingest_date BETWEEN ${param(reportDate(body.start_date))}::timestamp AND ${param(reportDate(body.end_date))}::timestamp`)
      } else {
        throw businessError('The get_report API call requires a start_date and end_date or a delta parameter.')
      }

      for (const [name, value] of Object.entries((body.filters as Row | undefined) ?? {})) {
        if (FILTERS[name] && value !== undefined && value !== null && value !== '') where.push(FILTERS[name](param(String(value))))
      }

      const excluded = (body.exclude_filters as Row | undefined)?.metricName
      if (typeof excluded === 'string') where.push(`l.metric_name IS DISTINCT FROM ${param(excluded)}`)
      const requested = body.limit === undefined || body.limit === null ? MAX_LIMIT : Number(body.limit)
      if (!Number.isFinite(requested)) throw unhandled()
      const limit = Math.max(0, Math.min(MAX_LIMIT, Math.trunc(requested)))
      const {rows} = await ctx.db.query(
        `SELECT l.host, to_char(l.ingest_date, 'YYYYMMDDHH24MI') AS ingest_date,
                l.data->>'application' AS application, l.levelname, l.data->>'funcName' AS funcname,
                l.kasm_user_name, COALESCE(l.data->>'message', l.data->>'msg') AS message,
                l.data->>'exc_info' AS traceback, l.data->>'error_stack' AS error_stack,
                COALESCE(l.data->>'processName', l.data->>'process') AS process,
                l.data->>'request_ip' AS client_ip, l.data->>'user_agent' AS user_agent, l.data->>'allow' AS allow,
                l.data->>'url' AS url, l.data->>'site' AS site, l.data->>'domain' AS domain, l.data->>'category' AS category
           FROM logs l WHERE ${where.join(' AND ')}
          ORDER BY l.ingest_date DESC, l.log_id DESC LIMIT ${param(limit)}`,
        params,
      )
      // Kasm answers {} when nothing matched.
      return rows.length > 0 ? {data: rows} : {}
    },
  },

  get_distinct_hosts: {
    permissions: [1700],
    write: false,
    async handle(ctx) {
      const {rows} = await ctx.db.query('SELECT DISTINCT host FROM logs WHERE host IS NOT NULL ORDER BY host')
      return {data: rows}
    },
  },
}
