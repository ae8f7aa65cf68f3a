import {readdirSync, readFileSync} from 'node:fs'

/** What /proc/<pid>/stat says about a process (Linux); undefined off Linux or when the process is gone. */
export interface ProcStat {
  pid: number
  name: string
  /** R, S, D, Z (zombie: exited, not yet reaped)... */
  state: string
  /** Process group id. */
  pgrp: number
  /** Start time in clock ticks since boot: with the pid, identifies a process (pids are recycled). */
  start: number
}

export function procStat(pid: number): ProcStat | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    // The command name (field 2) may contain spaces and parentheses: count fields after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    return {name: stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')')), pgrp: Number(fields[2]), pid, start: Number(fields[19]), state: fields[0]}
  } catch {
    return undefined
  }
}

/** A process's command line from /proc (Linux); undefined when the process is gone or not ours to read. */
export function processArgv(pid: number): string[] | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').slice(0, -1)
  } catch {
    return undefined
  }
}

/** Field 22 of /proc/<pid>/stat (start time since boot); undefined off Linux or when the process is gone. */
export function processStartTime(pid: number): number | undefined {
  return procStat(pid)?.start
}

/**
 * The processes still in the process group that `leader` created, started no earlier than it: the
 * leader itself if it runs, and what it forked, even after the leader is gone. A group id is a pid,
 * and Linux does not reuse a pid while a group of that id exists.
 */
export function groupMembers(leader: number, leaderStart: number | undefined): ProcStat[] {
  const members: ProcStat[] = []
  let entries: string[]
  try {
    entries = readdirSync('/proc')
  } catch {
    return members
  }

  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue
    const stat = procStat(Number(entry))
    if (stat && stat.state !== 'Z' && stat.pgrp === leader && (leaderStart === undefined || stat.start >= leaderStart)) members.push(stat)
  }

  return members
}
