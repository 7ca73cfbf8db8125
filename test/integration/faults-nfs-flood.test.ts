// The NFS port of a real daemon under a bounded flood of malformed requests from several clients,
// with valid clients beside them: the valid ones keep being served, the daemon's RSS stays bounded.
import assert from 'node:assert/strict'
import { describeFlood, flood, floodTarget } from '../helpers/flood.js'
import { useTeardown } from '../helpers/teardown.js'

const MiB = 1 << 20

describe('faults: NFS flood (short)', function () {
  this.timeout(90_000)
  const teardown = useTeardown()

  it('serves valid clients through malformed floods from several clients; RSS stays bounded', async () => {
    const { d, port } = await floodTarget(teardown)
    const r = await flood({ port, pid: d.proc.pid as number, ns: 'data', file: 'hello.txt', attackers: 6, validClients: 3, slow: 16, durationMs: 6000, maxRecords: 4000 })
    console.log(`      ${describeFlood(r, 16)}`)
    assert.ok(d.running, 'the daemon survived')
    assert.equal(r.validFailed, 0, 'every valid request answered OK')
    assert.ok(r.validOk > 100, `valid clients were served (${r.validOk})`)
    assert.ok(r.validP99Ms < 2000, `p99 latency of valid requests ${r.validP99Ms} ms`)
    assert.ok(r.rssPeak - r.rssBefore < 192 * MiB, `RSS grew by ${((r.rssPeak - r.rssBefore) / MiB).toFixed(0)} MiB`)
    // Still serving after the flood, and ctl still answers.
    assert.equal((await d.ctl('status', 'data')).code, 0)
  })
})
