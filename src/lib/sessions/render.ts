import {formatDuration} from '../duration.js'
import {shortId} from '../kasm/ids.js'
import {renderTable} from '../output/table.js'
import type {DestroyOutcome, SessionView} from './sessions.js'

function duration(seconds: null | number): string {
  if (seconds === null) return '-'
  return seconds < 0 ? `-${formatDuration(-seconds * 1000)}` : formatDuration(seconds * 1000)
}

export function renderSessions(sessions: SessionView[]): string {
  if (sessions.length === 0) return 'No sessions.'
  return renderTable(
    [
      {get: (s: SessionView) => shortId(s.kasm_id), header: 'session'},
      {get: (s) => s.username ?? shortId(s.user_id), header: 'user'},
      {get: (s) => s.hostname, header: 'agent'},
      {get: (s) => s.zone_name, header: 'zone'},
      {get: (s) => s.image, header: 'image'},
      {get: (s) => s.operational_status, header: 'status'},
      {align: 'right', get: (s) => duration(s.age_seconds), header: 'age'},
      {align: 'right', get: (s) => duration(s.expires_in_seconds), header: 'expires in'},
    ],
    sessions,
  )
}

export function renderDestroyed(outcomes: DestroyOutcome[], dryRun: boolean): string {
  return outcomes
    .map((o) => {
      const who = `${shortId(o.kasm_id)} (${o.username ?? 'unknown user'} on ${o.hostname ?? 'unknown agent'})`
      if (dryRun) return `would destroy session ${who} (dry run)`
      return o.destroyed ? `destroyed session ${who}` : `could not destroy session ${who}: ${o.error}`
    })
    .join('\n')
}
