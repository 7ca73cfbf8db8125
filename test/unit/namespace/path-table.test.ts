import assert from 'node:assert/strict'
import { MAX_PATH_BYTES, PathTable } from '../../../src/namespace/path-table.js'

describe('PathTable: path strings outside the heap, each with a slot', () => {
  it('gives each path one slot, finds it again, and reads it back', () => {
    const t = new PathTable()
    const paths = ['a', 'dir/b.txt', '', 'ünïcödé/日本語.txt', 'emoji 🐟', 'a/'.repeat(300) + 'z']
    const slots = paths.map((p) => t.insert(p))
    assert.ok(slots.every((s) => s.added))
    assert.equal(new Set(slots.map((s) => s.slot)).size, paths.length)
    for (const [i, p] of paths.entries()) {
      assert.equal(t.slotOf(p), slots[i]?.slot, p)
      assert.equal(t.pathOf(slots[i]?.slot ?? -1), p)
      assert.deepEqual(t.insert(p), { slot: slots[i]?.slot, added: false })
    }
    assert.equal(t.size, paths.length)
    assert.equal(t.slotOf('missing'), -1)
    assert.equal(t.slotOf('dir/b.tx'), -1)
    assert.deepEqual([...t.slots()].map((s) => t.pathOf(s)), paths, 'slot order is insertion order')
  })

  it('removes, reuses slots, and keeps every other path through growth, rehashes and compaction', () => {
    const t = new PathTable()
    const live = new Map<string, number>()
    const N = 60_000
    for (let i = 0; i < N; i++) {
      const p = `d${i % 97}/file-${i}-${'x'.repeat(i % 40)}.txt`
      live.set(p, t.insert(p).slot)
    }
    // Remove most of them (enough garbage to compact the arena), then add others into the freed slots.
    let removed = 0
    for (const [p, slot] of live) {
      if (removed % 5 !== 0) {
        assert.equal(t.remove(p), slot)
        assert.equal(t.remove(p), -1)
        live.delete(p)
      }
      removed++
    }
    const freed = N - live.size
    for (let i = 0; i < 1000; i++) {
      const p = `new/${i}`
      const { slot, added } = t.insert(p)
      assert.ok(added)
      assert.ok(slot < N, 'a freed slot is reused')
      live.set(p, slot)
    }
    assert.equal(t.size, live.size)
    assert.ok(freed > 1000)
    for (const [p, slot] of live) {
      assert.equal(t.slotOf(p), slot, p)
      assert.equal(t.pathOf(slot), p)
    }
    assert.equal([...t.slots()].length, live.size)
    assert.equal(t.slotOf('d1/file-1-x.txt'), live.get('d1/file-1-x.txt') ?? -1)
  })

  it('survives many removes and inserts of the same paths (tombstones do not fill the table)', () => {
    const t = new PathTable()
    for (let round = 0; round < 50; round++) {
      for (let i = 0; i < 500; i++) t.insert(`p${i}`)
      for (let i = 0; i < 500; i++) assert.ok(t.remove(`p${i}`) >= 0)
    }
    assert.equal(t.size, 0)
    assert.equal(t.slotOf('p1'), -1)
    assert.ok(t.slotLimit <= 500, 'slots are reused')
    assert.ok(t.footprint < 1 << 20, `footprint ${t.footprint}`)
  })

  it('clears, and refuses a path longer than an arena page', () => {
    const t = new PathTable()
    t.insert('x')
    t.clear()
    assert.equal(t.size, 0)
    assert.equal(t.slotOf('x'), -1)
    assert.equal(t.insert('y').slot, 0)
    assert.throws(() => t.insert('a'.repeat(MAX_PATH_BYTES + 1)), RangeError)
    const longest = 'b'.repeat(MAX_PATH_BYTES)
    assert.equal(t.pathOf(t.insert(longest).slot), longest)
  })
})

describe('PathTable.slotsUnder', () => {
  it('finds a path and what is below it, not its namesakes', () => {
    const t = new PathTable()
    const all = ['a', 'a/b', 'a/b/c', 'ab', 'ab/c', 'b/a', 'a.txt', 'é', 'é/x', 'éx']
    for (const p of all) t.insert(p)
    const under = (prefix: string): string[] => [...t.slotsUnder(prefix)].map((s) => t.pathOf(s) ?? '')
    assert.deepEqual(under('a'), ['a', 'a/b', 'a/b/c'])
    assert.deepEqual(under('a/b'), ['a/b', 'a/b/c'])
    assert.deepEqual(under('é'), ['é', 'é/x'])
    assert.deepEqual(under(''), all)
    assert.deepEqual(under('zz'), [])
    t.remove('a/b')
    assert.deepEqual(under('a'), ['a', 'a/b/c'])
  })
})
