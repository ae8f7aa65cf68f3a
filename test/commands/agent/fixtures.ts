/** Arranging the sandbox for agent tests. Assertions go through kasmctl and the API, never through these. */
import type {CliResult} from '../../helpers/cli.js'
import type {TestSandbox} from '../../helpers/sandbox.js'

/** Makes the sessions on these agents expire in `seconds` (negative: already expired); the live loop then ends them. */
export async function expireSessions(sandbox: TestSandbox, hostnames: string[], seconds: number): Promise<void> {
  const db = await sandbox.db()
  try {
    await db.query(
      `UPDATE kasms SET expiration_date = localtimestamp + make_interval(secs => $2)
        WHERE server_id IN (SELECT server_id FROM servers WHERE hostname = ANY($1))`,
      [hostnames, seconds],
    )
  } finally {
    await db.end()
  }
}

/** The JSON lines a streaming command (drain, rotate) printed with --json. */
export function jsonLines(result: Pick<CliResult, 'stdout'>): Array<Record<string, unknown>> {
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line))
}

/** Resolves once the running CLI printed a JSON line matching `match` (polls its output). */
export async function waitForLine(output: () => {stdout: string}, match: (line: Record<string, unknown>) => boolean, timeoutMs = 20_000): Promise<Record<string, unknown>> {
  const until = Date.now() + timeoutMs
  while (Date.now() < until) {
    const found = jsonLines(output()).find((line) => match(line))
    if (found) return found
    await new Promise((resolve) => setTimeout(resolve, 100))
  }

  throw new Error(`no line matched within ${timeoutMs} ms; output so far:\n${output().stdout}`)
}

export async function agentState(sandbox: TestSandbox, hostname: string): Promise<{enabled: boolean; sessions: number}> {
  const client = await sandbox.client()
  try {
    const server = (await client.getServers()).find((s) => s.hostname === hostname)!
    const {kasms} = await client.getKasms()
    return {enabled: server.enabled, sessions: kasms.filter((k) => k.server_id === server.server_id).length}
  } finally {
    client.close()
  }
}
