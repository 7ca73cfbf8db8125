import assert from 'node:assert/strict'
import { fstatSync, readFileSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FdCache } from '../../../src/nfs/vfs/fd-cache.js'
import { pwrite } from '../../../src/nfs/vfs/fs-calls.js'

const isOpen = (fd: number): boolean => { try { fstatSync(fd); return true } catch { return false } }

describe('nfs/vfs fd cache', () => {
  let dir: string
  let cache: FdCache
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'shoal-fdc-'))
    for (const n of ['a', 'b', 'c']) writeFileSync(join(dir, n), n)
  })
  afterEach(async () => { await cache?.close(); await rm(dir, { recursive: true, force: true }) })

  it('keeps one descriptor per key and reopens read-write when a write needs it', async () => {
    cache = new FdCache(8, 60_000)
    const ro = await cache.with('a', join(dir, 'a'), false, async (fd, kind) => { assert.equal(kind, 'file'); return fd })
    assert.equal(await cache.with('a', join(dir, 'a'), false, async (fd) => fd), ro)
    const rw = await cache.with('a', join(dir, 'a'), true, async (fd) => { await pwrite(fd, Buffer.from('A'), 0, 1, 0); return fd })
    await cache.settled()
    assert.equal(isOpen(ro), rw === ro) // the read-only one was closed (or reused by number)
    assert.equal(await cache.with('a', join(dir, 'a'), false, async (fd) => fd), rw, 'a read uses the read-write descriptor')
    assert.equal(readFileSync(join(dir, 'a'), 'utf8'), 'A')
    assert.equal(cache.size, 1)
  })

  it('evicts the least recently used idle descriptor, never one in use', async () => {
    cache = new FdCache(2, 60_000)
    const fdA = await cache.with('a', join(dir, 'a'), false, async (fd) => fd)
    const fdB = await cache.with('b', join(dir, 'b'), false, async (fd) => fd)
    await cache.with('a', join(dir, 'a'), false, async () => {}) // a is now more recent than b
    await cache.with('c', join(dir, 'c'), false, async () => {})
    assert.equal(cache.size, 2)
    await cache.settled()
    assert.equal(isOpen(fdB), false, 'b was the least recently used')
    assert.equal(isOpen(fdA), true)

    // a descriptor in use survives eviction, forget() and close() until its call ends
    let release!: () => void
    const held = new Promise<void>((resolve) => { release = resolve })
    let heldFd = -1
    let entered!: () => void
    const inside = new Promise<void>((resolve) => { entered = resolve })
    const using = cache.with('b', join(dir, 'b'), true, async (fd) => { heldFd = fd; entered(); await held; return await pwrite(fd, Buffer.from('B'), 0, 1, 0) })
    await inside
    await cache.with('a', join(dir, 'a'), false, async () => {})
    await cache.with('c', join(dir, 'c'), false, async () => {})
    cache.forget('b')
    await cache.close()
    assert.equal(isOpen(heldFd), true)
    release()
    assert.equal(await using, 1)
    await cache.settled()
    assert.equal(isOpen(heldFd), false, 'closed by its last user')
    assert.equal(readFileSync(join(dir, 'b'), 'utf8'), 'B')
  })

  it('adopts a descriptor opened elsewhere as writable', async () => {
    cache = new FdCache(8, 60_000)
    const { openSync } = await import('node:fs')
    const fd = openSync(join(dir, 'c'), 'r+')
    cache.adopt('c', fd, 'file')
    await cache.with('c', join(dir, 'c'), true, async (got, kind) => {
      assert.equal(got, fd)
      assert.equal(kind, 'file')
    })
  })

  it('with closeMany, closes what it lets go of in batches, and everything by settled() and close()', async () => {
    const batches: number[][] = []
    const { closeSync, openSync } = await import('node:fs')
    cache = new FdCache(1, 60_000, async (fds) => { batches.push(fds); for (const fd of fds) closeSync(fd) })
    const opened: number[] = []
    for (let i = 0; i < 40; i++) {
      const fd = openSync(join(dir, 'a'), 'r')
      opened.push(fd)
      cache.adopt(`k${i}`, fd, 'file') // the cache holds one: each adopt lets the one before go
    }
    assert.deepEqual(batches.map((b) => b.length), [32], 'one batch of 32 so far, not a close each')
    assert.equal(isOpen(opened[33]!), true, 'the rest wait for the next batch')
    await cache.settled()
    assert.deepEqual(batches.map((b) => b.length), [32, 7])
    await cache.close()
    assert.deepEqual(batches.map((b) => b.length), [32, 7, 1], 'close() closes the last one too')
    assert.equal(opened.some(isOpen), false, 'all closed (a number may have been handed out twice)')
  })
})
