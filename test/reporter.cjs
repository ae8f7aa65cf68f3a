/* global module, require */
// The spec reporter, plus one plain closing line ("N passed, N failed, N skipped") that CI reads.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- mocha loads reporters with require()
const {reporters} = require('mocha')

class SpecWithSummary extends reporters.Spec {
  constructor(runner, options) {
    super(runner, options)
    runner.once('end', () => {
      const {failures, passes, pending} = runner.stats
      console.log(`mocha: ${passes} passed, ${failures} failed, ${pending} skipped`)
    })
  }
}

module.exports = SpecWithSummary
