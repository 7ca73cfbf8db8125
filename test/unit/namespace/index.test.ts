import assert from 'node:assert/strict'
import { access, appendFile, readFile, rm, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { FolderIndex, type IndexEntry } from '../../../src/namespace/index.js'
import { tmpDir } from '../../helpers/tmp.js'

const file = (i: number, w = 'a'.repeat(64)): IndexEntry => ({ kind: 'file', size: i, mtimeMs: 1000 + i, mode: 0o644, ino: i, hash: 'h' + i, ver: { w, c: i } })

describe('FolderIndex: snapshot + change log', () => {
  it('a save appends only the changed paths; a new instance sees sets and deletes', async () => {
    const path = join(await tmpDir(), 'index.json')
    const a = new FolderIndex(path)
    await a.load()
    for (let i = 0; i < 100; i++) a.set(`f${i}`, file(i))
    await a.flush()
    const first = (await stat(`${path}.log`)).size
    a.set('f1', file(1001))
    a.delete('f2')
    await a.flush()
    const grown = (await stat(`${path}.log`)).size - first
    assert.ok(grown < 400, `one save of two changes appended ${grown} bytes`)
    const b = new FolderIndex(path)
    await b.load()
    assert.equal(b.size, 99)
    assert.equal(b.get('f1')?.size, 1001)
    assert.equal(b.get('f2'), undefined)
  })

  it('a save after its folder was removed fails quietly and does not bring the folder back', async () => {
    const dir = await tmpDir()
    const a = new FolderIndex(join(dir, 'index.json'))
    a.set('x', file(1))
    await rm(dir, { recursive: true })
    await assert.rejects(a.flush(), { code: 'ENOENT' })
    a.set('y', file(2)) // a late change: its save (run now by flush, not after the timer) fails too
    await assert.rejects(a.flush(), { code: 'ENOENT' })
    await assert.rejects(access(dir), { code: 'ENOENT' })
  })

  it('close() saves what changed, then saves no more', async () => {
    const path = join(await tmpDir(), 'index.json')
    const a = new FolderIndex(path)
    a.set('x', file(1))
    await a.close()
    const saved = await readFile(`${path}.log`, 'utf8')
    a.set('y', file(2))
    await a.flush()
    assert.equal(await readFile(`${path}.log`, 'utf8'), saved)
    const b = new FolderIndex(path)
    await b.load()
    assert.deepEqual([...b.paths()], ['x'])
  })

  it('skips a torn last line (a crash mid-append)', async () => {
    const path = join(await tmpDir(), 'index.json')
    const a = new FolderIndex(path)
    a.set('x', file(1))
    await a.flush()
    await appendFile(`${path}.log`, '["y",{"kind":"fi')
    const b = new FolderIndex(path)
    await b.load()
    assert.deepEqual([...b.entries()].map(([k]) => k), ['x'])
  })

  it('folds the log into a snapshot once it outgrows it, and after clear()', async () => {
    const path = join(await tmpDir(), 'index.json')
    const a = new FolderIndex(path)
    for (let round = 0; round < 40; round++) {
      for (let i = 0; i < 200; i++) a.set(`dir/f${i}`, file(round * 1000 + i))
      await a.flush()
    }
    const log = (await stat(`${path}.log`)).size
    const snap = (await stat(path)).size
    assert.ok(log <= Math.max(1 << 20, snap) + 100_000, `log ${log} bytes, snapshot ${snap}`)
    const b = new FolderIndex(path)
    await b.load()
    assert.equal(b.get('dir/f7')?.size, 39_007)
    a.clear()
    a.set('only', file(1))
    await a.flush()
    assert.equal(await readFile(`${path}.log`, 'utf8'), '')
    const c = new FolderIndex(path)
    await c.load()
    assert.deepEqual([...c.entries()].map(([k]) => k), ['only'])
  })

  it('keeps one copy of each writer id', async () => {
    const a = new FolderIndex(join(await tmpDir(), 'index.json'))
    a.set('p', file(1, 'b'.repeat(64)))
    a.set('q', file(2, ['b'.repeat(32), 'b'.repeat(32)].join('')))
    assert.equal(a.get('p')?.ver?.w, a.get('q')?.ver?.w)
  })

  it('a snapshot written while the index changes loses none of the changes', async () => {
    const path = join(await tmpDir(), 'index.json')
    const a = new FolderIndex(path)
    for (let i = 0; i < 5000; i++) a.set(`d/f${i}`, file(i))
    a.clear() // the next save rewrites the snapshot (in slices, with awaits between them)
    for (let i = 0; i < 5000; i++) a.set(`d/f${i}`, file(i))
    const saving = a.flush()
    let step = 0
    while (step < 50) {
      await new Promise((resolve) => setImmediate(resolve))
      a.set(`d/f${step}`, file(100_000 + step))
      a.delete(`d/f${4999 - step}`)
      a.set(`late${step}`, file(step))
      step++
    }
    await saving
    await a.flush()
    const b = new FolderIndex(path)
    await b.load()
    assert.equal(b.size, a.size)
    for (const [k, e] of a.entries()) assert.deepEqual(b.get(k), e, k)
    assert.equal(b.get('d/f4999'), undefined)
    assert.equal(b.get('d/f3')?.size, 100_003)
    assert.deepEqual({ ...b.totals }, { ...a.totals })
  })
})
