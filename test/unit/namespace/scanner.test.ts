import assert from 'node:assert/strict'
import { chmod, mkdir, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { FolderIndex } from '../../../src/namespace/index.js'
import { EMPTY_HASH, hashFile, scan, scanPaths, statEntry, TEMP_PREFIX } from '../../../src/namespace/scanner.js'
import { tmpDir } from '../../helpers/tmp.js'

async function record (folder: string, index: FolderIndex): Promise<void> {
  const r = await scan(folder, index)
  for (const [path, d] of r.changed) {
    index.set(path, { ...d, hash: d.kind === 'link' ? (d.target ?? '') : d.kind === 'file' ? await hashFile(join(folder, path)) : '', ver: { w: 'test', c: 1 } })
  }
  for (const path of r.removed) index.delete(path)
}

describe('scanner', () => {
  it('finds new files, dirs, links, parents first; nothing once recorded', async () => {
    const dir = await tmpDir()
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    await mkdir(join(dir, 'a b/ü'), { recursive: true })
    await writeFile(join(dir, 'a b/ü/f.txt'), 'x')
    await writeFile(join(dir, 'empty'), '')
    await symlink('empty', join(dir, 'link'))
    await writeFile(join(dir, TEMP_PREFIX + 'x'), 'not ours')
    await writeFile(join(dir, TEMP_PREFIX + '0123456789ab'), 'temp left by a crash')
    const r = await scan(dir, index)
    assert.deepEqual(r.changed.map(([p]) => p).sort(), ['a b', 'a b/ü', 'a b/ü/f.txt', 'empty', 'link'])
    assert.ok(r.changed.findIndex(([p]) => p === 'a b') < r.changed.findIndex(([p]) => p === 'a b/ü/f.txt'))
    assert.equal(r.changed.find(([p]) => p === 'link')?.[1].target, 'empty')
    assert.equal(await statEntry(join(dir, TEMP_PREFIX + '0123456789ab')), null, 'a temp file left by a crash is removed')
    assert.notEqual(await statEntry(join(dir, TEMP_PREFIX + 'x')), null, 'a file that only starts like one is left alone')
    await record(dir, index)
    assert.deepEqual(await scan(dir, index), { changed: [], removed: [], folderMissing: false })
    assert.equal(index.get('empty')?.hash, EMPTY_HASH)
  })

  it('sees modifications, the exec bit and deletions (children before parents)', async () => {
    const dir = await tmpDir()
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    await mkdir(join(dir, 'd/e'), { recursive: true })
    await writeFile(join(dir, 'd/e/f'), 'one')
    await writeFile(join(dir, 'g'), 'one')
    await record(dir, index)
    await writeFile(join(dir, 'g'), 'three')
    await chmod(join(dir, 'g'), 0o755)
    await rm(join(dir, 'd'), { recursive: true })
    const r = await scan(dir, index)
    assert.deepEqual(r.changed.map(([p]) => p), ['g'])
    assert.equal(r.changed[0]?.[1].mode, 0o755)
    assert.deepEqual(r.removed, ['d/e/f', 'd/e', 'd'])
  })

  it('scans a subtree only', async () => {
    const dir = await tmpDir()
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    await mkdir(join(dir, 'x'))
    await writeFile(join(dir, 'x/1'), '1')
    await writeFile(join(dir, 'y'), 'y')
    const r = await scan(dir, index, 'x')
    assert.deepEqual(r.changed.map(([p]) => p), ['x', 'x/1'])
    await record(dir, index)
    await rm(join(dir, 'x'), { recursive: true })
    assert.deepEqual((await scan(dir, index, 'x')).removed, ['x/1', 'x'])
  })

  it('scans many paths at once as it scans each alone', async () => {
    const dir = await tmpDir()
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    await mkdir(join(dir, 'gone/sub'), { recursive: true })
    await mkdir(join(dir, 'becomes-file'))
    await mkdir(join(dir, 'keep'))
    for (const f of ['gone/sub/a', 'gone/b', 'becomes-file/c', 'keep/x', 'keep/y', 'top']) await writeFile(join(dir, f), f)
    await record(dir, index)
    await rm(join(dir, 'gone'), { recursive: true })
    await rm(join(dir, 'becomes-file'), { recursive: true })
    await writeFile(join(dir, 'becomes-file'), 'now a file')
    await writeFile(join(dir, 'keep/x'), 'changed, longer')
    await rm(join(dir, 'keep/y'))
    await rm(join(dir, 'top'))
    await mkdir(join(dir, 'new/deep'), { recursive: true })
    await writeFile(join(dir, 'new/deep/z'), 'z')
    const paths = ['gone', 'becomes-file', 'keep/x', 'keep/y', 'top', 'new', 'never-was']
    const one = { changed: [] as string[], removed: [] as string[] }
    for (const p of paths) {
      const r = await scan(dir, index, p)
      one.changed.push(...r.changed.map(([x]) => x))
      one.removed.push(...r.removed)
    }
    const all = await scanPaths(dir, index, paths)
    assert.deepEqual(all.changed.map(([x]) => x).sort(), one.changed.sort())
    assert.deepEqual([...all.removed].sort(), one.removed.sort())
    assert.deepEqual([...all.removed].sort(), ['becomes-file/c', 'gone', 'gone/b', 'gone/sub', 'gone/sub/a', 'keep/y', 'top'])
    assert.ok(all.removed.indexOf('gone/sub/a') < all.removed.indexOf('gone/sub'), 'children before parents')
    assert.ok(all.changed.findIndex(([x]) => x === 'new') < all.changed.findIndex(([x]) => x === 'new/deep/z'), 'parents first')
    assert.deepEqual(await scanPaths(dir, index, ['', 'keep']), await scan(dir, index), "'' is everything")
  })

  it('reports a missing folder', async () => {
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    assert.equal((await scan(join(await tmpDir(), 'nope'), index)).folderMissing, true)
    assert.equal(await statEntry('/nonexistent/x'), null)
  })
})

describe('FolderIndex', () => {
  it('persists across instances', async () => {
    const file = join(await tmpDir(), 'index.json')
    const a = new FolderIndex(file)
    a.set('p', { kind: 'file', size: 1, mtimeMs: 2, mode: 0o644, ino: 3, hash: 'h', ver: { w: 'w', c: 5 } })
    a.set('d', { kind: 'dir', size: 0, mtimeMs: 2, mode: 0o755, ino: 4, hash: '', ver: null })
    await a.flush()
    const b = new FolderIndex(file)
    await b.load()
    assert.deepEqual(b.get('p')?.ver, { w: 'w', c: 5 })
    assert.equal(b.fileCount(), 1)
    assert.deepEqual([...b.under('p')].map(([k]) => k), ['p'])
  })
})
