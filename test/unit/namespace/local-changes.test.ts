import assert from 'node:assert/strict'
import { topmost } from '../../../src/namespace/local-changes.js'

describe('local changes: which dirty paths to scan', () => {
  it('keeps only the paths no other listed path is above, once each', () => {
    assert.deepEqual(topmost(['a/b/c', 'a', 'a/b', 'x/y', 'x/y', 'xy', 'x/yz/1']).sort(), ['a', 'x/y', 'x/yz/1', 'xy'])
    assert.deepEqual(topmost(['a/b', '']), [''])
    assert.deepEqual(topmost([]), [])
  })

  it('is not quadratic: 20,000 sibling files in 200 directories', () => {
    const paths = Array.from({ length: 20_000 }, (_, i) => `w/d${i % 200}/f${i}`)
    const t0 = performance.now()
    assert.equal(topmost(paths).length, 20_000)
    assert.deepEqual(topmost([...paths, 'w']), ['w'])
    assert.ok(performance.now() - t0 < 1000)
  })
})
