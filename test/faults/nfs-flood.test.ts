// The NFS flood, long version: more attackers, more stalled records, 30 s.
import assert from 'node:assert/strict'
import { describeFlood, flood, floodTarget } from '../helpers/flood.js'
import { useTeardown } from '../helpers/teardown.js'

const MiB = 1 << 20

describe('faults: NFS flood (long)', function () {
  this.timeout(180_000)
  const teardown = useTeardown()

  it('12 malformed clients, 64 stalled 1 MiB records, 4 valid clients for 30 s', async () => {
    const { d, port } = await floodTarget(teardown)
    const r = await flood({ port, pid: d.proc.pid as number, ns: 'data', file: 'hello.txt', attackers: 12, validClients: 4, slow: 64, durationMs: 30_000, maxRecords: 40_000 })
    console.log(`      ${describeFlood(r, 64)}`)
    assert.ok(d.running)
    assert.equal(r.validFailed, 0)
    assert.ok(r.validP99Ms < 2000)
    assert.ok(r.rssPeak - r.rssBefore < 256 * MiB, `RSS grew by ${((r.rssPeak - r.rssBefore) / MiB).toFixed(0)} MiB`)
  })
})
