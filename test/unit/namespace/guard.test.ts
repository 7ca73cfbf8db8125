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

  it('counts the window from when the deletions were seen, not from when a scan found them', async () => {
    let readyAt = 0
    const g = new DeleteGuard({ ...o, settleMs: 200, maxHoldMs: 10_000 }, () => { readyAt = Date.now() })
    // the watcher saw them 150 ms ago; the scan that found them ran after a churn pause
    const t0 = Date.now()
    g.hold(['a'], t0 - 150)
    assert.equal(g.ready, false, 'never released within the call')
    await new Promise((resolve) => setTimeout(resolve, 120))
    assert.ok(readyAt > 0 && readyAt - t0 < 110, `released ${readyAt - t0} ms after the hold, 50 due`)
    // a later sighting moves the window on, an earlier one never moves it back
    g.hold(['b'], Date.now())
    const held = Date.now()
    readyAt = 0
    g.hold(['c'], held - 1000)
    await new Promise((resolve) => setTimeout(resolve, 100))
    assert.equal(readyAt, 0, 'b was seen just now: the window runs 200 ms from there')
    await new Promise((resolve) => setTimeout(resolve, 200))
    assert.ok(readyAt - held >= 195, `released ${readyAt - held} ms after b was seen`)
    assert.deepEqual(g.take().sort(), ['a', 'b', 'c'])
    g.stop()
  })
})
