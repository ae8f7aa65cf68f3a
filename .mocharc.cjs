/* global module */
// Mocha config. `npx mocha` runs the whole suite; `npx mocha test/x.test.ts ...` runs only the files
// named (mocha would otherwise add them to the configured spec and run everything).
const named = process.argv.slice(2).some((arg) => /\.test\.ts$/.test(arg))

module.exports = {
  spec: named ? [] : ['test/**/*.test.ts'],
  // Load test files with import(), not require(esm): otherwise a test's static imports and the code's
  // dynamic import()s get two copies of each module, and `instanceof UsageError` fails across them.
  'node-option': ['import=tsx', 'no-experimental-require-module'],
  require: ['test/system-tools.ts', 'test/setup.ts'],
  // Two worker processes: most tests wait on child processes, servers and PostgreSQL, so two files at a time more
  // than halve the suite on 2 cores (~10 min to ~4.5). Each worker starts its own sandbox when a file first asks for
  // one (test/helpers/sandbox.ts) and keeps it for the files after; the run stops them all at its end (test/setup.ts).
  parallel: true,
  jobs: 2,
  timeout: 60000,
  'forbid-only': true,
  reporter: './test/reporter.cjs',
}
