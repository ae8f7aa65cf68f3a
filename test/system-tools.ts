/**
 * Mocha global setup: before any test runs, every system program the suite uses for real must be
 * there (scripts/system-tools.sh holds the list); otherwise the run stops at once naming what is
 * missing and the one apt-get line that installs it, instead of failing tests one by one.
 */
import {execFileSync} from 'node:child_process'
import {fileURLToPath} from 'node:url'

export function mochaGlobalSetup(): void {
  const script = fileURLToPath(new URL('../scripts/system-tools.sh', import.meta.url))
  const missing = execFileSync('bash', [script], {encoding: 'utf8'})
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split('\t'))
  if (missing.length === 0) return
  const packages = [...new Set(missing.map(([name]) => name))]
  throw new Error(
    `the test suite needs system tools that this machine lacks: ${missing.map(([, what]) => what).join('; ')}\n` +
      `Install them with:\n  apt-get install -y ${packages.join(' ')}\n(.ci/run does this on CI)`,
  )
}
