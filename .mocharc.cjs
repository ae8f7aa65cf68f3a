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
  timeout: 60000,
  'forbid-only': true,
  reporter: './test/reporter.cjs',
}
