import assert from 'node:assert/strict'
import { utimesSync, writeFileSync } from 'node:fs'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { FileIo } from '../../../src/nfs/vfs/file-io.js'
import { ReadAhead } from '../../../src/nfs/vfs/read-ahead.js'

const K = 128 * 1024

describe('nfs/vfs read-ahead: the next range of a sequential reader, never stale', () => {
  let root: string
  let io: FileIo
  let file: string
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-ra-'))
    file = join(root, 'f')
    const content = Buffer.alloc(4 * K)
    for (let i = 0; i < 4; i++) content.fill(0x61 + i, i * K, (i + 1) * K) // 'a' 'b' 'c' 'd' per range
    writeFileSync(file, content)
    io = new FileIo()
  })
  afterEach(async () => { await io.close(); await rm(root, { recursive: true, force: true }) })

  it('serves a sequential reader the right bytes, eof at the end, with the attributes asked for', async () => {
    for (let i = 0; i < 4; i++) {
      const r = await io.read('1:1', file, BigInt(i * K), K, true)
      assert.equal(r.data.length, K)
      assert.ok(r.data.every((b) => b === 0x61 + i), `range ${i}`)
      assert.equal(r.st?.size, BigInt(4 * K))
      if (i === 3) assert.equal(r.eof, true, 'the range read ahead knows the file ends there')
    }
    assert.equal(io.aheadHits, 3, 'every READ after the first was read ahead')
  })

  it('a change from outside after the range was read ahead (same size, new times) is read again', async () => {
    await io.read('1:1', file, 0n, K, false) // reads (K, K) ahead
    await new Promise((resolve) => setImmediate(resolve))
    const changed = Buffer.alloc(4 * K, 0x7a)
    writeFileSync(file, changed) // in place: same inode, same size
    utimesSync(file, 1_000_000, 1_000_000) // a distinct mtime whatever the clock's granularity
    const r = await io.read('1:1', file, BigInt(K), K, false)
    assert.ok(r.data.every((b) => b === 0x7a), 'the new content, not what was read ahead')
    assert.equal(io.aheadHits, 0)
  })

  it('a write through NFS drops what was read ahead of the file', async () => {
    await io.read('1:1', file, 0n, K, false)
    await io.write('1:1', file, K, Buffer.alloc(K, 0x79), false, false)
    const r = await io.read('1:1', file, BigInt(K), K, false)
    assert.ok(r.data.every((b) => b === 0x79))
  })

  it('reads ahead only for a file with no other READ in flight, and one range per file', () => {
    const ra = new ReadAhead(2)
    assert.equal(ra.begin('a', 0n, K), null)
    assert.equal(ra.begin('a', 0n, K), null)
    assert.equal(ra.end('a'), false, 'another READ of it is still in flight')
    assert.equal(ra.end('a'), true)
    const done = Promise.resolve(null)
    ra.set('a', BigInt(K), K, done)
    ra.set('b', BigInt(K), K, done)
    ra.set('c', BigInt(K), K, done)
    assert.equal(ra.size, 2, 'the oldest file\'s range went')
    assert.equal(ra.begin('a', BigInt(K), K), null)
    ra.end('a')
    assert.equal(ra.begin('b', 0n, K), null, 'another range: not used, and dropped')
    ra.end('b')
    assert.equal(ra.begin('b', BigInt(K), K), null)
    ra.end('b')
    assert.equal(ra.begin('c', BigInt(K), K), done)
    ra.end('c')
  })
})
