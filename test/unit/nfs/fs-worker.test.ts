import assert from 'node:assert/strict'
import { closeSync, fstatSync, lstatSync, openSync, readFileSync, statSync, symlinkSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pack, runJob, unpackStat, type CreateResult, type LookupResult, type SetattrResult } from '../../../src/nfs/vfs/fs-job.js'
import { FsWorkers } from '../../../src/nfs/vfs/fs-worker.js'

// A create's descriptor is opened in a worker and used, then closed, by the main thread; the
// worker must never close (or warn about) a descriptor number the kernel has handed out again.
describe('nfs/vfs fs workers', () => {
  let root: string
  let workers: FsWorkers
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-fsw-'))
    workers = new FsWorkers(1)
  })
  afterEach(async () => { await workers.close(); await rm(root, { recursive: true, force: true }) })

  const creds = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 }
  const job = (name: string, over: Partial<Parameters<FsWorkers['create']>[0]> = {}): Parameters<FsWorkers['create']>[0] =>
    ({ dir: root, dirIno: statSync(root, { bigint: true }).ino, path: join(root, name), mode: 0o644, umask: 0o022, creds, attrs: {}, ...over })

  it('a worker that exits leaves the descriptors it opened to the main thread, and their numbers once reused', async () => {
    const made = await workers.create(job('a'))
    assert.ok(made.fd !== undefined)
    closeSync(made.fd) // the main thread's to close, as the descriptor cache does
    const reused = openSync(join(root, 'other'), 'w') // likely the same number
    const again = await workers.create(job('b'))
    await workers.close()
    assert.ok(fstatSync(reused).isFile(), 'still open after the worker exited')
    assert.ok(again.fd !== undefined && fstatSync(again.fd).isFile())
    closeSync(reused)
    closeSync(again.fd)
  })

  it('creates with the exact mode and the verifier in the times, and returns the stats around it', async () => {
    const r = await workers.create(job('x', { mode: 0o600, times: [1234, 5678] }))
    assert.ok(r.fd !== undefined && r.stat && r.dir)
    closeSync(r.fd)
    const st = unpackStat(r.stat)
    assert.equal(Number(st.mode) & 0o7777, 0o600)
    assert.equal(st.atimeNs / 1_000_000_000n, 1234n)
    assert.equal(st.mtimeNs / 1_000_000_000n, 5678n)
    assert.ok(st.isFile() && !st.isDirectory())
    assert.ok(unpackStat(r.dir).isDirectory())
    assert.equal(r.dirAfter?.[1], r.dir[1], 'the same directory after')
  })

  it('finds an existing file instead of opening it, and does nothing when the directory is not the one asked for', async () => {
    writeFileSync(join(root, 'there'), 'x')
    const r = await workers.create(job('there'))
    assert.equal(r.fd, undefined)
    assert.equal(r.exists && unpackStat(r.exists).size, 1n)
    const moved: CreateResult = await workers.create(job('y', { dirIno: 1n }))
    assert.equal(moved.dir, null)
    assert.throws(() => statSync(join(root, 'y')), /ENOENT/)
  })

  it('passes an error on with its code', async () => {
    await mkdir(join(root, 'ro'))
    await assert.rejects(workers.create(job('z', { dir: join(root, 'ro'), dirIno: statSync(join(root, 'ro'), { bigint: true }).ino, path: join(root, 'ro', 'no', 'z') })), (err: NodeJS.ErrnoException) => err.code === 'ENOENT')
  })

  it('a stat survives the trip packed', () => {
    const st = statSync(root, { bigint: true })
    const back = unpackStat(pack(st))
    for (const k of ['dev', 'ino', 'mode', 'nlink', 'uid', 'gid', 'size', 'atimeNs', 'mtimeNs', 'ctimeNs', 'birthtimeNs'] as const) assert.equal(back[k], st[k], k)
    assert.equal(back.isDirectory(), true)
    assert.equal(back.isSymbolicLink(), false)
    assert.equal((runJob({ op: 'setattr', path: join(root, 'missing'), ino: 1n, attrs: {} }) as SetattrResult).moved, true)
  })

  it('a SETATTR job applies a size only to a regular file of another size, through a descriptor of the same inode', async () => {
    writeFileSync(join(root, 'f'), 'hello world')
    const ino = statSync(join(root, 'f'), { bigint: true }).ino
    const r = await workers.setattr({ path: join(root, 'f'), ino, attrs: { size: 5n, mtime: 7_000_000_000n } })
    assert.equal(r.moved, false)
    assert.equal(r.truncated, true)
    assert.equal(readFileSync(join(root, 'f'), 'utf8'), 'hello')
    assert.equal(r.stat && unpackStat(r.stat).size, 5n)
    assert.equal(r.stat && unpackStat(r.stat).mtimeNs, 7_000_000_000n)
    const same = await workers.setattr({ path: join(root, 'f'), ino, attrs: { size: 5n } })
    assert.equal(same.truncated, false, 'a size the file has already is not applied')
    await mkdir(join(root, 'd'))
    const d = await workers.setattr({ path: join(root, 'd'), ino: statSync(join(root, 'd'), { bigint: true }).ino, attrs: { size: 0n, mode: 0o700 } })
    assert.equal(d.refused, 'ISDIR')
    assert.notEqual(statSync(join(root, 'd')).mode & 0o777, 0o700, 'nothing else changed')
    symlinkSync('f', join(root, 'l'))
    const l = await workers.setattr({ path: join(root, 'l'), ino: lstatSync(join(root, 'l'), { bigint: true }).ino, attrs: { size: 0n } })
    assert.equal(l.refused, 'INVAL', 'a symlink is never followed to its target')
    assert.equal(readFileSync(join(root, 'f'), 'utf8'), 'hello')
  })

  it('a write job writes at the offset and returns the stat after; a lookup job falls back to the directory', async () => {
    writeFileSync(join(root, 'w'), 'abcdef')
    const fd = openSync(join(root, 'w'), 'r+')
    try {
      const socketRecord = Buffer.from('....XYZ....')
      const r = await workers.write(fd, 2, socketRecord.subarray(4, 7))
      assert.equal(readFileSync(join(root, 'w'), 'utf8'), 'abXYZf')
      assert.equal(unpackStat(r.stat).size, 6n)
      assert.equal(socketRecord.toString(), '....XYZ....', 'the caller\'s buffer is left as it was')
    } finally { closeSync(fd) }
    const hit: LookupResult = await workers.lookup({ path: join(root, 'w'), dir: root })
    assert.equal(hit.stat && unpackStat(hit.stat).size, 6n)
    assert.equal(hit.dir, undefined)
    const miss = await workers.lookup({ path: join(root, 'nothing'), dir: root })
    assert.equal(miss.stat, null)
    assert.equal(miss.dir && unpackStat(miss.dir).ino, statSync(root, { bigint: true }).ino)
  })

  it('closes a batch of descriptors in one job, and through the thread pool once closed', async () => {
    const isOpen = (fd: number): boolean => { try { fstatSync(fd); return true } catch { return false } }
    writeFileSync(join(root, 'c'), 'x')
    const fds = [openSync(join(root, 'c'), 'r'), openSync(join(root, 'c'), 'r')]
    await workers.closeAll(fds)
    assert.equal(fds.some(isOpen), false)
    const late = openSync(join(root, 'c'), 'r')
    await workers.close()
    await workers.closeAll([late])
    assert.equal(isOpen(late), false)
  })
})
