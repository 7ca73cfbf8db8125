// Mocha's spec reporter, plus the closing line CI reads: "N passed, N failed[, N skipped]".
'use strict'
const Mocha = require('mocha')
const { EVENT_RUN_END } = Mocha.Runner.constants

class ShoalReporter extends Mocha.reporters.Spec {
  constructor (runner, options) {
    super(runner, options)
    runner.once(EVENT_RUN_END, () => {
      const s = runner.stats || { passes: 0, failures: 0, pending: 0 }
      process.nextTick(() => {
        const skipped = s.pending ? `, ${s.pending} skipped` : ''
        process.stdout.write(`${s.passes} passed, ${s.failures} failed${skipped}\n`)
      })
    })
  }
}
module.exports = ShoalReporter
