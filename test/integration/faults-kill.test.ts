// SIGKILL in the middle of a sync, short version (the 10-run version: test/faults/kill.test.ts).
import { useTeardown } from '../helpers/teardown.js'
import { killDuringSync } from '../helpers/faults.js'

describe('faults: SIGKILL mid-sync (short)', function () {
  this.timeout(180_000)
  const teardown = useTeardown()

  it('the receiver killed mid-sync and restarted: both folders byte-identical, nothing lost', async () => {
    const r = await killDuringSync(teardown, { files: 600, bigBytes: 24 << 20, victim: 'receiver', killAt: 0.1 })
    console.log(`      killed with ${r.filesAtKill}/${r.total} files received; converged ${r.convergeMs} ms after restart`)
  })

  it('the writer killed while the receiver downloads from it, restarted: byte-identical, nothing lost', async () => {
    const r = await killDuringSync(teardown, { files: 600, bigBytes: 24 << 20, victim: 'writer', killAt: 0.1 })
    console.log(`      killed with ${r.filesAtKill}/${r.total} files received; converged ${r.convergeMs} ms after restart`)
  })
})
