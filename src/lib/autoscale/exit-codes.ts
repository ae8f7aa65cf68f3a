import {exitCodeHelp} from '../errors.js'

/** The pool and autoscale commands' exit codes: the usual ones, 77 naming the Auto Scaling licence too. */
export const AUTOSCALE_EXIT_CODES = exitCodeHelp([0, 1, 64, 69, [77, 'authentication or permission refused, or Auto Scaling not licensed (error code NOT_LICENSED)']])

/** `autoscale status`: the monitoring-plugin convention, as `health` uses. */
export const STATUS_EXIT_CODES = exitCodeHelp([
  [0, 'OK: every config can scale as configured'],
  [1, 'WARNING: a pool below its minimum (Kasm would add servers)'],
  [2, 'CRITICAL: servers stuck in starting past --checkin-timeout, or an enabled config without its pool or zone'],
  [3, 'UNKNOWN: bad flags, no usable context, API unreachable, Auto Scaling not licensed'],
])
