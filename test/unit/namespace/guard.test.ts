import assert from 'node:assert/strict'
import { DeleteGuard, isMassDelete } from '../../../src/namespace/guard.js'

describe('mass-delete guard', () => {
  const o = { share: 0.5, min: 100 }

  it('more than half, and at least 100', () => {
    assert.equal(isMassDelete(101, 200, o), true)
    assert.equal(isMassDelete(100, 200, o), false, 'exactly half is not more than half')
    assert.equal(isMassDelete(99, 100, o), false, 'below the minimum')
    assert.equal(isMassDelete(100, 100, o), true)
    assert.equal(isMassDelete(1000, 5000, o), false)
  })

  it('holds deletions until none arrived for the settle window, then releases them together', async () => {
    let ready!: () => void
    const released = new Promise<void>((resolve) => { ready = resolve })
    const g = new DeleteGuard({ ...o, settleMs: 30, maxHoldMs: 10_000 }, () => ready())
    g.hold(['a', 'b'])
    g.hold(['b', 'c'])
    assert.equal(g.ready, false)
    assert.equal(g.size, 3)
    await released
    assert.equal(g.ready, true)
    assert.deepEqual(g.take().sort(), ['a', 'b', 'c'])
    assert.equal(g.ready, false)
    g.stop()
  })
})
