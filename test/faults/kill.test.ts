// SIGKILL mid-sync, the long version: 10 runs in a row, alternating the receiver and the writer as
// the victim, with more small files and a larger file than the short test in `make test`.
import { killDuringSync } from '../helpers/faults.js'
import { useTeardown } from '../helpers/teardown.js'

const RUNS = Number(process.env.SHOAL_KILL_RUNS ?? 10)

describe('faults: SIGKILL mid-sync, 10 runs in a row', function () {
  this.timeout(300_000)
  const teardown = useTeardown()

  for (let run = 0; run < RUNS; run++) {
    const victim = run % 2 === 0 ? 'receiver' : 'writer'
    it(`run ${run + 1}/${RUNS}: the ${victim} killed mid-sync converges byte-identical`, async () => {
      // Kill points move through the sync: early, a third in, two thirds in.
      const killAt = [0.05, 0.33, 0.66][run % 3] ?? 0.1
      const r = await killDuringSync(teardown, { files: 2000, bigBytes: 64 << 20, victim, killAt })
      console.log(`      killed with ${r.filesAtKill}/${r.total} files received; converged ${r.convergeMs} ms after restart`)
    })
  }
})
