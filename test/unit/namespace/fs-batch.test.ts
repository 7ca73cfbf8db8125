import assert from 'node:assert/strict'
import { lstat, mkdir, readdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { directWhileLoading, FsBatch, own, type FsOp } from '../../../src/namespace/fs-batch.js'
import { statEntry } from '../../../src/namespace/scanner.js'
import { tmpDir } from '../../helpers/tmp.js'

for (const [mode, batch] of [['in the worker', new FsBatch({ workerStartOps: 1, idleStopMs: 600_000 })], ['on libuv, the worker stopped', new FsBatch({ workerStartOps: Infinity })]] as const) {
  describe(`file system batch operations ${mode}`, function () {
    this.timeout(20_000)

    before(async function () {
      if (mode !== 'in the worker') return
      // Batches go to libuv until the worker has loaded: wait for it, so that these run in it.
      await batch.prestart()
      assert.ok(batch.loaded)
    })

    it('writes many files at once through temp files, with mode and mtime, and answers with their stats', async () => {
      const dir = await tmpDir()
      const mtimeMs = Date.now() - 3_600_000
      const stats = await Promise.all(Array.from({ length: 50 }, async (_, i) => await batch.put({
        abs: join(dir, `f${i}`), tmp: join(dir, `.shoal.tmp.${String(i).padStart(12, '0')}`), data: Buffer.from(`file ${i}`), mode: i === 0 ? 0o777 : 0o640, mtimeMs, owner: null
      })))
      assert.equal((await readdir(dir)).length, 50, 'no temp file left')
      for (const [i, st] of stats.entries()) {
        assert.equal(await readFile(join(dir, `f${i}`), 'utf8'), `file ${i}`)
        assert.deepEqual(st, await statEntry(join(dir, `f${i}`)), `f${i}: the stat of what is there`)
        assert.equal(st.mode, i === 0 ? 0o777 : 0o640) // beyond the umask too
        assert.ok(Math.abs(st.mtimeMs - mtimeMs) <= 1)
      }
    })

    it('fails one write with its errno code and leaves no temp file, without failing the others', async () => {
      const dir = await tmpDir()
      const [bad, good] = await Promise.allSettled([
        batch.put({ abs: join(dir, 'missing', 'f'), tmp: join(dir, 'missing', '.shoal.tmp.000000000001'), data: Buffer.from('x'), mode: 0o644, mtimeMs: Date.now(), owner: null }),
        batch.put({ abs: join(dir, 'g'), tmp: join(dir, '.shoal.tmp.000000000002'), data: Buffer.from('y'), mode: 0o644, mtimeMs: Date.now(), owner: null })
      ])
      assert.equal(bad.status, 'rejected')
      assert.equal((bad as PromiseRejectedResult).reason.code, 'ENOENT')
      assert.equal(good.status, 'fulfilled')
      // The target is a directory: the rename fails, the temp file is removed.
      await mkdir(join(dir, 'd'))
      await assert.rejects(batch.put({ abs: join(dir, 'd'), tmp: join(dir, '.shoal.tmp.000000000003'), data: Buffer.from('z'), mode: 0o644, mtimeMs: Date.now(), owner: null }))
      assert.deepEqual((await readdir(dir)).sort(), ['d', 'g'])
    })

    it('stats like statEntry: null for nothing, a link with its target', async () => {
      const dir = await tmpDir()
      await writeFile(join(dir, 'f'), 'abc')
      await symlink('f', join(dir, 'l'))
      assert.equal(await batch.stat(join(dir, 'nothing')), null)
      assert.equal(await batch.stat(join(dir, 'f', 'below-a-file')), null)
      assert.deepEqual(await batch.stat(join(dir, 'f')), await statEntry(join(dir, 'f')))
      const l = await batch.stat(join(dir, 'l'))
      assert.equal(l?.kind, 'link')
      assert.equal(l?.target, 'f')
      assert.equal(l?.ino, (await lstat(join(dir, 'l'))).ino)
    })

    it('reads whole files with the stat after the read, and fails a read with its errno code', async () => {
      const dir = await tmpDir()
      await writeFile(join(dir, 'f'), 'content')
      const r = await batch.read(join(dir, 'f'))
      assert.equal(r.data.toString(), 'content')
      assert.deepEqual(r.after, await statEntry(join(dir, 'f')))
      await assert.rejects(batch.read(join(dir, 'gone')), (err: NodeJS.ErrnoException) => err.code === 'ENOENT')
    })

    it('removes files, links and empty directories together, and fails each removal with its own errno code', async () => {
      const dir = await tmpDir()
      await mkdir(join(dir, 'empty'))
      await mkdir(join(dir, 'full'))
      await writeFile(join(dir, 'full', 'x'), 'x')
      await Promise.all(Array.from({ length: 20 }, async (_, i) => { await writeFile(join(dir, `f${i}`), String(i)) }))
      await symlink('f0', join(dir, 'l'))
      const results = await Promise.allSettled([
        ...Array.from({ length: 20 }, async (_, i) => { await batch.remove(join(dir, `f${i}`), false) }),
        batch.remove(join(dir, 'l'), false),
        batch.remove(join(dir, 'empty'), true),
        batch.remove(join(dir, 'full'), true),
        batch.remove(join(dir, 'gone'), false)
      ])
      assert.deepEqual(results.slice(0, 22).map((r) => r.status), Array(22).fill('fulfilled'))
      assert.equal((results[22] as PromiseRejectedResult).reason.code, 'ENOTEMPTY')
      assert.equal((results[23] as PromiseRejectedResult).reason.code, 'ENOENT')
      assert.deepEqual(await readdir(dir), ['full'])
      assert.deepEqual(await readdir(join(dir, 'full')), ['x'])
    })
  })
}

describe('file system batch worker', function () {
  this.timeout(20_000)

  it('sends batches to libuv while the worker loads, and to the worker once it has', async () => {
    const dir = await tmpDir()
    await writeFile(join(dir, 'f'), 'abc')
    const b = new FsBatch({ idleStopMs: 60_000, workerStartOps: 1 })
    const loading = b.prestart()
    assert.equal(b.running, true, 'started ahead of the work')
    assert.equal(b.loaded, false)
    // Answered without waiting for the worker's start (tens to hundreds of ms on a busy box).
    assert.deepEqual((await Promise.all([b.stat(join(dir, 'f')), b.stat(join(dir, 'gone'))])).map((d) => d?.size ?? null), [3, null])
    await loading
    assert.ok(b.loaded)
    assert.deepEqual((await Promise.all([b.stat(join(dir, 'f')), b.stat(join(dir, 'gone'))])).map((d) => d?.size ?? null), [3, null])
  })

  it('while the worker loads, sends turns of few calls to libuv (hundreds of stats or removals), not many writes', () => {
    const stat: FsOp = { t: 'stat', abs: '/x' }
    const remove: FsOp = { t: 'remove', abs: '/x', dir: false }
    const put: FsOp = { t: 'put', abs: '/x', tmp: '/t', data: new Uint8Array(1), mode: 0o644, mtimeMs: 0, owner: null }
    assert.equal(directWhileLoading(Array(256).fill(stat)), true, 'a receiver\'s removal slice: one call each')
    assert.equal(directWhileLoading(Array(256).fill(remove)), true)
    assert.equal(directWhileLoading(Array(600).fill(stat)), false)
    assert.equal(directWhileLoading(Array(15).fill(put)), true)
    assert.equal(directWhileLoading(Array(64).fill(put)), false, 'eight calls a write: these wait for the worker')
  })

  it('sends a view of a larger buffer (a packed block) as its own bytes only', () => {
    const block = Buffer.alloc(65536, 1)
    const view = block.subarray(4096, 8192)
    const mine = own(view)
    assert.equal(mine.buffer.byteLength, 4096)
    assert.ok(Buffer.from(mine).equals(view))
    const whole = new Uint8Array(10)
    assert.equal(own(whole), whole, 'not copied when it already is')
  })

  it('starts for a turn of many operations, stops when idle, and leaves a few to libuv meanwhile', async () => {
    const dir = await tmpDir()
    await writeFile(join(dir, 'f'), 'abc')
    const quick = new FsBatch({ idleStopMs: 50, workerStartOps: 4 })
    const many = async (): Promise<void> => {
      for (const d of await Promise.all(Array.from({ length: 4 }, async () => await quick.stat(join(dir, 'f'))))) assert.equal(d?.size, 3)
    }
    assert.equal((await quick.stat(join(dir, 'f')))?.size, 3)
    assert.equal(quick.running, false, 'one operation: not worth a thread')
    await many()
    assert.equal(quick.running, true)
    assert.equal((await quick.stat(join(dir, 'f')))?.size, 3)
    assert.equal(quick.running, true, 'once running, every turn goes to the worker')
    await new Promise((resolve) => setTimeout(resolve, 300))
    assert.equal(quick.running, false, 'stopped after idleStopMs without work')
    const put = await quick.put({ abs: join(dir, 'g'), tmp: join(dir, '.shoal.tmp.000000000009'), data: Buffer.from('again'), mode: 0o644, mtimeMs: Date.now(), owner: null })
    assert.equal(put.size, 5)
    // Turns of many asked for around the moment the idle timer fires: none is lost or failed.
    for (let i = 0; i < 20; i++) {
      await new Promise((resolve) => setTimeout(resolve, 40 + (i % 5) * 5))
      await many()
    }
  })
})
