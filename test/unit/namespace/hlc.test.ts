import assert from 'node:assert/strict'
import { Hlc, LOGICAL_BITS, clockTime } from '../../../src/namespace/hlc.js'

describe('Hlc', () => {
  it('follows the wall clock when it moves forward', () => {
    let now = 1000
    const hlc = new Hlc(0, () => now)
    assert.equal(hlc.tick(), 1000 * LOGICAL_BITS)
    now = 2000
    assert.equal(hlc.tick(), 2000 * LOGICAL_BITS)
    assert.equal(clockTime(hlc.last), 2000)
  })

  it('never goes backwards when the wall clock does', () => {
    let now = 5000
    const hlc = new Hlc(0, () => now)
    const a = hlc.tick()
    now = 1000
    const b = hlc.tick()
    assert.ok(b > a)
    assert.equal(b, a + 1)
  })

  it('moves past every clock it observes, so a causal successor wins', () => {
    const hlc = new Hlc(0, () => 1000)
    const remote = 9_000 * LOGICAL_BITS + 7
    hlc.observe(remote)
    assert.ok(hlc.tick() > remote)
  })

  it('ignores observed clocks in the past and garbage', () => {
    const hlc = new Hlc(0, () => 1000)
    const a = hlc.tick()
    hlc.observe(5)
    hlc.observe(Number.NaN)
    hlc.observe(Number.MAX_VALUE)
    assert.equal(hlc.tick(), a + 1)
  })

  it('resumes from a persisted clock', () => {
    const hlc = new Hlc(10_000 * LOGICAL_BITS, () => 1000)
    assert.equal(hlc.tick(), 10_000 * LOGICAL_BITS + 1)
  })
})
