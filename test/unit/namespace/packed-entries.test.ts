import assert from 'node:assert/strict'
import { PackedEntries } from '../../../src/namespace/packed-entries.js'
import type { IndexEntry } from '../../../src/namespace/index.js'

const W = 'ab'.repeat(32)
const hex = (i: number): string => i.toString(16).padStart(64, '0')

describe('PackedEntries: the index entries packed in one buffer', () => {
  it('gives back exactly what was set, for every kind and hash shape', () => {
    const p = new PackedEntries()
    const cases: Array<[string, IndexEntry]> = [
      ['a.txt', { kind: 'file', size: 2 ** 40 + 3, mtimeMs: 1_763_700_000_123, mode: 0o755, ino: 2 ** 52 + 1, hash: hex(7), ver: { w: W, c: 1_763_700_000_123 * 65536 + 5 } }],
      ['dir', { kind: 'dir', size: 0, mtimeMs: 5, mode: 0o700, ino: 9, hash: '', ver: null }],
      ['link', { kind: 'link', size: 0, mtimeMs: 6, mode: 0o777, ino: 10, hash: '../some/target', ver: { w: W, c: 3 } }],
      ['odd', { kind: 'file', size: 1, mtimeMs: 7, mode: 0o644, ino: 11, hash: 'h1', ver: { w: 'x', c: 0 } }],
      ['upper', { kind: 'file', size: 1, mtimeMs: 7, mode: 0o644, ino: 12, hash: hex(1).toUpperCase(), ver: null }]
    ]
    for (const [k, e] of cases) p.set(k, e)
    for (const [k, e] of cases) assert.deepEqual(p.get(k), e, k)
    assert.deepEqual([...p.entries()], cases)
    assert.equal(p.get('missing'), undefined)
  })

  it('overwrites in place, reuses deleted records, and grows past its first buffer', () => {
    const p = new PackedEntries()
    for (let i = 0; i < 1000; i++) p.set(`f${i}`, { kind: 'file', size: i, mtimeMs: i, mode: 0o644, ino: i, hash: hex(i), ver: { w: W, c: i } })
    for (let i = 0; i < 1000; i += 2) assert.ok(p.delete(`f${i}`))
    assert.equal(p.delete('f0'), false)
    for (let i = 0; i < 500; i++) p.set(`g${i}`, { kind: 'link', size: 0, mtimeMs: i, mode: 0o777, ino: i, hash: `t${i}`, ver: null })
    p.set('f1', { kind: 'file', size: 99, mtimeMs: 1, mode: 0o600, ino: 1, hash: '', ver: null })
    assert.equal(p.size, 1000)
    assert.equal(p.get('f1')?.size, 99)
    assert.equal(p.get('f1')?.hash, '')
    assert.equal(p.get('f3')?.hash, hex(3))
    assert.equal(p.get('g7')?.hash, 't7')
    assert.equal(p.get('f2'), undefined)
  })

  it('keeps values its narrow fields cannot hold exactly, and narrow ones again once they fit', () => {
    const p = new PackedEntries()
    const base: IndexEntry = { kind: 'file', size: 3, mtimeMs: 1_763_700_000_123, mode: 0o644, ino: 7, hash: hex(2), ver: { w: W, c: 9 } }
    const odd: IndexEntry[] = [
      { ...base, size: 2 ** 40 }, // 1 TiB: past the 40-bit size
      { ...base, size: 2 ** 50 },
      { ...base, mtimeMs: -1000 }, // before 1970
      { ...base, mtimeMs: 1.5 },
      { ...base, mtimeMs: -0 },
      { ...base, mtimeMs: 2 ** 48 },
      { ...base, mode: 0x10000 },
      { ...base, ino: 2 ** 64 - 2 ** 11, ver: { w: W, c: 2 ** 60 } } // f64 fields: exact either way
    ]
    for (const [i, e] of odd.entries()) p.set(`p${i}`, e)
    for (const [i, e] of odd.entries()) assert.deepEqual(p.get(`p${i}`), e, `p${i}`)
    assert.equal(Object.is(p.get('p4')?.mtimeMs, -0), true)
    assert.equal(p.totals.bytes, 3 * (odd.length - 2) + 2 ** 40 + 2 ** 50)
    // Many writers: numbers past 16 bits are wide, the first ones stay narrow.
    for (let i = 0; i < 0x10001; i++) p.set('w', { ...base, ver: { w: `w${i}`, c: i } })
    assert.deepEqual(p.get('w'), { ...base, ver: { w: 'w65536', c: 65536 } })
    p.set('p0', base) // wide → narrow: the wide copy goes
    assert.deepEqual(p.get('p0'), base)
    p.set('p1', { ...base, size: 2 ** 45 }) // a reused record's totals
    assert.equal(p.delete('p1'), true)
    assert.equal(p.totals.bytes, 3 * (odd.length - 1) + 3)
  })

  it('keeps the totals status needs (files, bytes, conflict copies; directories are not files)', () => {
    const p = new PackedEntries()
    const f = (size: number): IndexEntry => ({ kind: 'file', size, mtimeMs: 0, mode: 0o644, ino: 1, hash: hex(1), ver: null })
    p.set('d', { kind: 'dir', size: 4096, mtimeMs: 0, mode: 0o755, ino: 2, hash: '', ver: null })
    p.set('d/a', f(10))
    p.set('d/a.sync-conflict-20250101-000000-abcdef0.txt', f(5))
    p.set('d/a', f(20))
    assert.deepEqual({ ...p.totals }, { files: 2, bytes: 25, conflicts: 1 })
    p.delete('d/a.sync-conflict-20250101-000000-abcdef0.txt')
    p.set('d', { kind: 'file', size: 1, mtimeMs: 0, mode: 0o644, ino: 2, hash: '', ver: null })
    assert.deepEqual({ ...p.totals }, { files: 2, bytes: 21, conflicts: 0 })
    p.clear()
    assert.deepEqual({ ...p.totals }, { files: 0, bytes: 0, conflicts: 0 })
    assert.equal(p.size, 0)
  })
})
