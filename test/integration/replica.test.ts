import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { appendFile, chmod, mkdir, readdir, readFile, rename, rm, rmdir, stat, symlink, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { deriveFromReadWrite, type NamespaceKeys } from '../../src/secrets.js'
import { snapshot, sameJson } from '../helpers/fs.js'
import { createTestReplica, link, type TestNode } from '../helpers/replicas.js'
import { until } from '../helpers/tmp.js'

const read = (path: string): Promise<string> => readFile(path, 'utf8')
const newKeys = (): NamespaceKeys => deriveFromReadWrite(randomBytes(32))

/** Waits until every node's folder has the same content, and returns it. */
async function converged (nodes: TestNode[], what = 'folders to converge'): Promise<Record<string, string>> {
  let snap: Record<string, string> = {}
  await until(async () => {
    const snaps = await Promise.all(nodes.map((n) => snapshot(n.folder)))
    snap = snaps[0] ?? {}
    return snaps.every((s) => sameJson(s, snap))
  }, what)
  return snap
}

async function pair (): Promise<[TestNode, TestNode]> {
  const keys = newKeys()
  const a = await createTestReplica('a', keys)
  const b = await createTestReplica('b', keys)
  link(a, b)
  return [a, b]
}

describe('replica (piped streams)', function () {
  this.timeout(30_000)

  it('create, modify, append, truncate and delete reach the peer', async () => {
    const [a, b] = await pair()
    const fa = join(a.folder, 'f.txt')
    const fb = join(b.folder, 'f.txt')
    await writeFile(fa, 'one')
    await until(async () => (await read(fb)) === 'one', 'create')
    await writeFile(fa, 'two!')
    await until(async () => (await read(fb)) === 'two!', 'modify')
    await appendFile(fa, '+more')
    await until(async () => (await read(fb)) === 'two!+more', 'append')
    await truncate(fa, 2)
    await until(async () => (await read(fb)) === 'tw', 'truncate')
    await rm(fa)
    await until(async () => !(await readdir(b.folder)).includes('f.txt'), 'delete')
    // And the other way.
    await writeFile(fb, 'from b')
    await until(async () => (await read(fa).catch(() => '')) === 'from b', 'b → a')
  })

  it('dirs, empty dirs, renames of files and dirs, symlinks, the exec bit, empty files, unicode names', async () => {
    const [a, b] = await pair()
    await mkdir(join(a.folder, 'empty dir'))
    await mkdir(join(a.folder, 'tree/sub'), { recursive: true })
    await writeFile(join(a.folder, 'tree/sub/ünï cødé.txt'), 'unicode')
    await writeFile(join(a.folder, 'tree/empty'), '')
    await writeFile(join(a.folder, 'run.sh'), '#!/bin/sh\n')
    await chmod(join(a.folder, 'run.sh'), 0o755)
    await symlink('tree/sub', join(a.folder, 'link'))
    const snap = await converged([a, b])
    assert.equal(snap['empty dir'], '<dir>')
    assert.equal(snap['tree/sub/ünï cødé.txt'], 'unicode')
    assert.equal(snap['tree/empty'], '')
    assert.equal(snap['run.sh'], '#!/bin/sh\n [x]')
    assert.equal(snap.link, '-> tree/sub')

    await rename(join(a.folder, 'tree'), join(a.folder, 'moved tree'))
    await rename(join(a.folder, 'run.sh'), join(a.folder, 'go.sh'))
    await rmdir(join(a.folder, 'empty dir'))
    await chmod(join(a.folder, 'go.sh'), 0o644)
    const after = await converged([a, b])
    assert.deepEqual(Object.keys(after).sort(), ['go.sh', 'link', 'moved tree', 'moved tree/empty', 'moved tree/sub', 'moved tree/sub/ünï cødé.txt'])
    assert.equal(after['go.sh'], '#!/bin/sh\n')
  })

  it('concurrent edits: one winner everywhere, the loser kept as a conflict copy on both nodes', async () => {
    const keys = newKeys()
    const a = await createTestReplica('a', keys)
    const b = await createTestReplica('b', keys)
    const unlink = link(a, b)
    await writeFile(join(a.folder, 'doc.txt'), 'base')
    await until(async () => (await read(join(b.folder, 'doc.txt')).catch(() => '')) === 'base', 'base on b')
    unlink()
    await writeFile(join(a.folder, 'doc.txt'), 'edit on a')
    await writeFile(join(b.folder, 'doc.txt'), 'edit on b')
    a.replica.notifyChange('doc.txt')
    b.replica.notifyChange('doc.txt')
    await until(() => a.replica.status().pending.local === 0 && a.replica.status().state === 'idle', 'a published')
    await until(() => b.replica.status().pending.local === 0 && b.replica.status().state === 'idle', 'b published')
    link(a, b)
    const snap = await converged([a, b], 'conflict resolution')
    const names = Object.keys(snap).sort()
    assert.equal(names.length, 2, JSON.stringify(snap))
    assert.equal(names[0], 'doc.sync-conflict-' + names[0]?.slice(18, 33) + names[0]?.slice(33))
    assert.match(names[0] ?? '', /^doc\.sync-conflict-\d{8}-\d{6}-[0-9A-F]{7}\.txt$/)
    assert.deepEqual(new Set(Object.values(snap)), new Set(['edit on a', 'edit on b']))
    assert.equal(a.replica.status().conflicts, 1)
  })

  it('a causal successor replaces without a conflict copy', async () => {
    const [a, b] = await pair()
    await writeFile(join(a.folder, 'x'), '1')
    await until(async () => (await read(join(b.folder, 'x')).catch(() => '')) === '1', 'x on b')
    await writeFile(join(b.folder, 'x'), '2')
    await until(async () => (await read(join(a.folder, 'x'))) === '2', 'b edit on a')
    await writeFile(join(a.folder, 'x'), '3')
    const snap = await converged([a, b])
    assert.deepEqual(snap, { x: '3' })
  })

  it('an offline node catches up both ways; a restarted node does not re-copy', async () => {
    const keys = newKeys()
    const a = await createTestReplica('a', keys)
    let b = await createTestReplica('b', keys)
    let unlink = link(a, b)
    await writeFile(join(a.folder, 'keep'), 'k')
    await converged([a, b])
    const inode = (await stat(join(b.folder, 'keep'))).ino
    unlink()
    await b.stop()
    await writeFile(join(a.folder, 'while-offline-a'), 'A')
    await writeFile(join(b.folder, 'while-offline-b'), 'B')
    b = await createTestReplica('b', keys, {}, b.dir)
    unlink = link(a, b)
    const snap = await converged([a, b])
    assert.deepEqual(snap, { keep: 'k', 'while-offline-a': 'A', 'while-offline-b': 'B' })
    assert.equal((await stat(join(b.folder, 'keep'))).ino, inode, 'not rewritten after restart')
  })

  it('a local edit the remote had not seen is never overwritten', async () => {
    const keys = newKeys()
    const a = await createTestReplica('a', keys, { watch: false, rescanIntervalMs: 3_600_000 })
    const b = await createTestReplica('b', keys, { watch: false, rescanIntervalMs: 3_600_000 })
    link(a, b)
    await writeFile(join(a.folder, 'f'), 'base')
    a.replica.notifyChange('f')
    await until(async () => (await read(join(b.folder, 'f')).catch(() => '')) === 'base', 'base on b')
    // b edits without telling anyone (no watcher, no notify); a's later edit arrives first.
    await writeFile(join(b.folder, 'f'), 'local edit on b')
    await writeFile(join(a.folder, 'f'), 'remote edit from a')
    a.replica.notifyChange('f')
    const snap = await converged([a, b])
    assert.deepEqual(new Set(Object.values(snap)), new Set(['local edit on b', 'remote edit from a']))
  })

  it('a folder replaced while stopped is restored from the drives, not published as deleted', async () => {
    const keys = newKeys()
    let a = await createTestReplica('a', keys)
    const b = await createTestReplica('b', keys)
    link(a, b)
    await writeFile(join(a.folder, 'precious'), 'keep me')
    await converged([a, b])
    await a.stop()
    await rm(a.folder, { recursive: true })
    a = await createTestReplica('a', keys, {}, a.dir)
    await until(async () => (await read(join(a.folder, 'precious')).catch(() => '')) === 'keep me', 'restored from its own drive')
    link(a, b)
    await b.replica.waitSynced(5_000)
    assert.deepEqual(await snapshot(b.folder), { precious: 'keep me' })
  })

  it('a large file streams through (not buffered) and arrives byte-identical', async () => {
    const [a, b] = await pair()
    const size = 24 << 20
    const data = randomBytes(size)
    await writeFile(join(a.folder, 'big.bin'), data)
    await until(async () => (await stat(join(b.folder, 'big.bin')).catch(() => null))?.size === size, 'big.bin on b', 60_000, 50)
    assert.ok((await readFile(join(b.folder, 'big.bin'))).equals(data))
    await appendFile(join(a.folder, 'big.bin'), 'tail')
    await until(async () => (await stat(join(b.folder, 'big.bin')).catch(() => null))?.size === size + 4, 'append on b', 60_000, 50)
  })

  it('a large file rewritten while the peer fetches it ends with the last version there, no temp file left, without waiting out a block timeout', async function () {
    // The first version's blob is never stored (its upload stops at the rewrite): b used to wait out
    // its 30 s block timeout in about half the runs before fetching the second. Now it sees the
    // newer entry while it waits and moves on (blob-fetch.ts, superseded).
    this.timeout(90_000)
    const [a, b] = await pair()
    const first = randomBytes(48 << 20)
    const second = randomBytes((40 << 20) + 7)
    await writeFile(join(a.folder, 'big.bin'), first)
    // Rewrite once b has started on the first version (its pending bytes say so). If b is quicker
    // than the poll, this still checks a plain update: the assertions hold either way.
    await until(() => b.replica.status().pending.bytes > 0 || b.replica.status().files > 0, 'b fetching big.bin', 60_000, 5)
    await writeFile(join(a.folder, 'big.bin'), second)
    const t0 = Date.now()
    await until(async () => (await stat(join(b.folder, 'big.bin')).catch(() => null))?.size === second.length, 'second version on b', 60_000, 50)
    const s = (Date.now() - t0) / 1000
    console.log(`      (second version on b ${s.toFixed(1)} s after the rewrite)`)
    assert.ok(s < 25, `the second version took ${s.toFixed(1)} s: a 30 s block timeout was waited out`)
    assert.ok((await readFile(join(b.folder, 'big.bin'))).equals(second))
    await b.replica.waitSynced(10_000)
    assert.deepEqual((await readdir(b.folder)).filter((n) => n !== 'big.bin'), [], 'no temp file, no conflict copy')
  })

  it('three nodes converge', async () => {
    const keys = newKeys()
    const nodes = await Promise.all(['a', 'b', 'c'].map((n) => createTestReplica(n, keys)))
    const [a, b, c] = nodes as [TestNode, TestNode, TestNode]
    link(a, b)
    link(b, c)
    await writeFile(join(a.folder, 'from-a'), 'a')
    await writeFile(join(c.folder, 'from-c'), 'c')
    const snap = await converged(nodes)
    assert.deepEqual(snap, { 'from-a': 'a', 'from-c': 'c' })
    await b.replica.waitSynced(5_000)
  })
})
