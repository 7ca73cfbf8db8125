import assert from 'node:assert/strict'
import { baseRel, joinRel, parentRel } from '../../src/rel-path.js'

describe('rel-path: folder-relative paths', () => {
  it('splits a path into its folder and its last name, and joins them back', () => {
    for (const [rel, parent, base] of [['a', '', 'a'], ['a/b', 'a', 'b'], ['a/b/c.txt', 'a/b', 'c.txt'], ['dir with space/ü', 'dir with space', 'ü']] as const) {
      assert.equal(parentRel(rel), parent, rel)
      assert.equal(baseRel(rel), base, rel)
      assert.equal(joinRel(parent, base), rel, rel)
    }
  })

  it('the folder itself is the empty path', () => {
    assert.equal(parentRel(''), '')
    assert.equal(joinRel('', 'x'), 'x')
  })
})
