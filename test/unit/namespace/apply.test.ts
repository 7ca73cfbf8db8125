import assert from 'node:assert/strict'
import { readdir, readFile, utimes, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { FolderWriter } from '../../../src/namespace/apply.js'
import { FolderIndex } from '../../../src/namespace/index.js'
import { EMPTY_HASH, scan, statEntry } from '../../../src/namespace/scanner.js'
import { tmpDir } from '../../helpers/tmp.js'

describe('folder writer', () => {
  // Found by the podman cluster test under load: a file published while empty, then written, was
  // recorded with the new stat and the old hash, so no scan ever saw the write again.
  it('records the stat the hash was taken from, so a later write is still a change', async () => {
    const dir = await tmpDir()
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    const writer = new FolderWriter(dir, index, null)
    await writeFile(join(dir, 'f.txt'), '')
    const hashed = await statEntry(join(dir, 'f.txt'))
    await writeFile(join(dir, 'f.txt'), 'written after the hash\n') // lands before the index is updated
    await utimes(join(dir, 'f.txt'), new Date(), new Date(Date.now() + 5000))
    await writer.record('f.txt', EMPTY_HASH, { w: 'me', c: 1 }, hashed)
    const r = await scan(dir, index)
    assert.deepEqual(r.changed.map(([p]) => p), ['f.txt'], 'the write after the hash is seen by the next scan')
  })

  it('records what it wrote: applying remote content is not seen as a local change', async () => {
    const dir = await tmpDir()
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    const writer = new FolderWriter(dir, index, null)
    await writer.writeFile('a/b.txt', Readable.from([Buffer.from('remote')]), 0o644, Date.now() - 1000, 'h', { w: 'peer', c: 1 })
    await writer.writeLink('a/l', 'b.txt', { w: 'peer', c: 2 })
    assert.equal(await readFile(join(dir, 'a/b.txt'), 'utf8'), 'remote')
    const r = await scan(dir, index, 'a/b.txt')
    assert.deepEqual(r.changed, [])
    assert.deepEqual((await scan(dir, index, 'a/l')).changed, [])
  })

  it('writes small content from memory with its mode and mtime, recorded as written, no temp file left', async () => {
    const dir = await tmpDir()
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    const writer = new FolderWriter(dir, index, null)
    const mtime = Date.now() - 60_000
    await writer.writeBytes('x/exec.sh', Buffer.from('#!/bin/sh\n'), 0o777, mtime, 'h1', { w: 'peer', c: 1 }) // beyond the umask: chmod
    await writer.writeBytes('x/plain.txt', Buffer.from('plain'), 0o640, mtime, 'h2', { w: 'peer', c: 2 })
    await writer.writeBytes('x/empty', Buffer.alloc(0), 0o644, mtime, EMPTY_HASH, { w: 'peer', c: 3 })
    assert.equal(await readFile(join(dir, 'x/plain.txt'), 'utf8'), 'plain')
    for (const [p, mode] of [['x/exec.sh', 0o777], ['x/plain.txt', 0o640], ['x/empty', 0o644]] as const) {
      const d = await statEntry(join(dir, p))
      assert.equal(d?.mode, mode, p)
      assert.ok(Math.abs((d?.mtimeMs ?? 0) - mtime) <= 1, p) // utimes goes through a double of seconds
      assert.deepEqual({ ...index.get(p), hash: '', ver: null }, { kind: 'file', size: d?.size, mtimeMs: d?.mtimeMs, mode, ino: d?.ino, hash: '', ver: null }, p)
    }
    assert.deepEqual((await readdir(join(dir, 'x'))).sort(), ['empty', 'exec.sh', 'plain.txt'])
    const r = await scan(dir, index)
    assert.deepEqual(r.changed.map(([p]) => p), ['x'], 'only the parent it made (not published yet) is a local change')
  })
})
