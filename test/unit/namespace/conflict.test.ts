import assert from 'node:assert/strict'
import { conflictName, conflictPath, hasSeen, isConflictCopy, resolve, winsConflict, type Version } from '../../../src/namespace/conflict.js'
import { LOGICAL_BITS } from '../../../src/namespace/hlc.js'

const v = (w: string, c: number, h = 'h-' + w, s: Record<string, number> = {}, k: Version['k'] = 'file'): Version => ({ w, c, h, s, k })

describe('conflict rules', () => {
  describe('winsConflict', () => {
    it('the higher clock wins, in both directions', () => {
      assert.equal(winsConflict(v('a', 2), v('b', 1)), true)
      assert.equal(winsConflict(v('b', 1), v('a', 2)), false)
    })
    it('equal clocks are broken by writer id, in both directions', () => {
      assert.equal(winsConflict(v('b', 5), v('a', 5)), true)
      assert.equal(winsConflict(v('a', 5), v('b', 5)), false)
    })
    it('a version does not win against itself', () => {
      assert.equal(winsConflict(v('a', 5), v('a', 5)), false)
    })
  })

  describe('resolve', () => {
    it('keeps a concurrent loser as a conflict copy', () => {
      const a = v('a', 10)
      const b = v('b', 20)
      const r = resolve([a, b])
      assert.equal(r?.winner, b)
      assert.deepEqual(r?.conflicts, [a])
      assert.deepEqual(resolve([b, a])?.conflicts, [a], 'order of the inputs does not matter')
    })
    it('a causal successor replaces what it had seen without a copy', () => {
      const a = v('a', 10)
      const b = v('b', 20, 'x', { a: 10 })
      assert.deepEqual(resolve([a, b])?.conflicts, [])
    })
    it('a later write of the same writer is no conflict', () => {
      assert.equal(hasSeen(v('a', 20), v('a', 10)), true)
      assert.equal(hasSeen(v('a', 10, 'h', { b: 4 }), v('b', 5)), false)
    })
    it('identical content needs no copy', () => {
      assert.deepEqual(resolve([v('a', 10, 'same'), v('b', 20, 'same')])?.conflicts, [])
    })
    it('a delete that had not seen an edit keeps the edit as a copy; a losing delete needs none', () => {
      const edit = v('a', 10)
      const del = v('b', 20, '', {}, 'tomb')
      assert.deepEqual(resolve([edit, del])?.conflicts, [edit])
      const del2 = v('b', 5, '', {}, 'tomb')
      assert.deepEqual(resolve([edit, del2])?.conflicts, [])
    })
    it('nothing to resolve', () => {
      assert.equal(resolve([]), null)
    })
  })

  describe('conflictName', () => {
    const date = new Date(Date.UTC(2026, 0, 2, 3, 4, 5))
    it('inserts the marker before the extension', () => {
      assert.equal(conflictName('dir/report.txt', 'ABC1234', date), 'dir/report.sync-conflict-20260102-030405-ABC1234.txt')
    })
    it('files without extension and dot files', () => {
      assert.equal(conflictName('Makefile', 'N', date), 'Makefile.sync-conflict-20260102-030405-N')
      assert.equal(conflictName('a/.bashrc', 'N', date), 'a/.bashrc.sync-conflict-20260102-030405-N')
      assert.equal(conflictName('a.b/c', 'N', date), 'a.b/c.sync-conflict-20260102-030405-N')
    })
    it('unicode and spaces survive', () => {
      assert.equal(conflictName('ü d/my file.tar', 'N', date), 'ü d/my file.sync-conflict-20260102-030405-N.tar')
    })
    it('conflictPath is deterministic from the losing version', () => {
      const loser = v('abcdef0123', Date.UTC(2026, 0, 2, 3, 4, 5) * LOGICAL_BITS + 3)
      assert.equal(conflictPath('x.md', loser), 'x.sync-conflict-20260102-030405-ABCDEF0.md')
      assert.equal(isConflictCopy(conflictPath('d/x.md', loser)), true)
      assert.equal(isConflictCopy('d.sync-conflict-1/x.md'), false)
    })
  })
})
