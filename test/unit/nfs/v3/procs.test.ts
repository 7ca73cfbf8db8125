import assert from 'node:assert/strict'
import { mkdir, readFile, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { encodeFh } from '../../../../src/nfs/fh.js'
import { startNfs, TestExport, type TestNfs } from '../../../helpers/nfs.js'
import { RawClient, op, res } from '../../../helpers/nfs-client.js'
import { P3, V3Client, dirop, fattr3, postOp, sattr3, wcc } from '../../../helpers/nfs3-client.js'

// nfsstat3 values the tests expect (RFC 1813 §2.6)
const S = { OK: 0, NOENT: 2, EXIST: 17, XDEV: 18, NOTDIR: 20, ISDIR: 21, INVAL: 22, ROFS: 30, NAMETOOLONG: 63, NOTEMPTY: 66, STALE: 70, BADHANDLE: 10001, NOT_SYNC: 10002, BAD_COOKIE: 10003, NOTSUPP: 10004, TOOSMALL: 10005 }

describe('nfs/v3 procedures', () => {
  let t: TestNfs
  let raw: RawClient
  let c: V3Client
  let root: Buffer
  let ro: Buffer
  beforeEach(async () => {
    t = await startNfs(['alpha', 'beta'])
    const roDir = join(t.root, 'ro')
    await mkdir(roDir)
    await writeFile(join(roDir, 'f'), 'read only')
    t.table.add(new TestExport('ro', 3, roDir, true))
    raw = await RawClient.connect(t.port)
    c = new V3Client(raw)
    root = (await c.mnt('/alpha')).fh
    ro = (await c.mnt('/ro')).fh
  })
  afterEach(async () => { raw.close(); await t.close() })
  const disk = (...p: string[]): string => join(t.root, 'alpha', ...p)

  it('answers NULL, PROG_MISMATCH 3..4 for version 2, PROC_UNAVAIL past COMMIT, GARBAGE_ARGS for truncated arguments', async () => {
    assert.equal((await c.rpc(100003, 3, 0)).accept, 0)
    const v2 = await c.rpc(100003, 2, 0)
    assert.equal(v2.accept, 2)
    assert.deepEqual([v2.r.u32(), v2.r.u32()], [3, 4])
    assert.equal((await c.rpc(100003, 3, 22)).accept, 3)
    assert.equal((await c.rpc(100003, 3, P3.GETATTR, (w) => w.u32(18))).accept, 4)
    assert.equal((await c.rpc(100003, 3, P3.WRITE, (w) => w.opaque(root).u64(0n).u32(1).u32(7).opaque(Buffer.from('x')))).accept, 4, 'bad stable_how')
    assert.equal((await c.rpc(100003, 3, P3.LOOKUP, (w) => w.opaque(root).u32(0xffffffff))).accept, 4, 'name longer than the record')
    assert.equal((await c.rpc(100003, 4, 0)).accept, 0, 'v4 still answers on the same program')
  })

  it('gives BADHANDLE for foreign handles and STALE for removed files and unknown exports', async () => {
    assert.equal((await c.call(P3.GETATTR, (w) => w.opaque(Buffer.from('not ours')))).status, S.BADHANDLE)
    assert.equal((await c.call(P3.GETATTR, (w) => w.opaque(encodeFh({ index: 99, ino: 5n, gen: 0 })))).status, S.STALE)
    const { fh } = await c.create(root, 'gone')
    assert.equal((await c.call(P3.REMOVE, (w) => dirop(w, root, 'gone'))).status, S.OK)
    assert.equal((await c.call(P3.GETATTR, (w) => w.opaque(fh!))).status, S.STALE)
  })

  it('uses the same handles as v4', async () => {
    await mkdir(disk('d'))
    const v3 = await c.lookup(root, 'd')
    const a = await raw.compound(0, (w) => { op.putrootfh(w); op.lookup(w, 'alpha'); op.lookup(w, 'd'); op.getfh(w) }, 4)
    assert.equal(a.status, 0)
    res(a.r); res(a.r); res(a.r); res(a.r)
    assert.ok(Buffer.from(a.r.opaque(128)).equals(v3))
  })

  it('GETATTR and SETATTR: sizes, modes, and the ctime guard (NOT_SYNC with wcc data)', async () => {
    const { fh } = await c.create(root, 'f', { mode: 1, attrs: { mode: 0o640 } })
    const a = await c.getattr(fh!)
    assert.deepEqual([a.type, a.mode, a.size], [1, 0o640, 0n])
    const setattr = (guard: [number, number] | null, attrs: Parameters<typeof sattr3>[1]) => c.call(P3.SETATTR, (w) => {
      sattr3(w.opaque(fh!), attrs)
      if (guard) w.bool(true).u32(guard[0]).u32(guard[1]); else w.bool(false)
    })
    const bad = await setattr([a.ctime[0] - 1, 0], { size: 10n })
    assert.equal(bad.status, S.NOT_SYNC)
    assert.equal(wcc(bad.r).post?.size, 0n)
    const ok = await setattr(a.ctime, { size: 10n, mode: 0o600, mtime: 981173106 })
    assert.equal(ok.status, S.OK)
    const w = wcc(ok.r)
    assert.deepEqual([w.pre?.size, w.post?.size, w.post?.mode, w.post?.mtime[0]], [0n, 10n, 0o600, 981173106])
    assert.equal((await readFile(disk('f'))).length, 10)
    assert.ok(t.exports.get('alpha')!.changes.includes('f'))
  })

  it('LOOKUP: names, ".", "..", the pseudo-root, NOENT with the directory attributes, NAMETOOLONG', async () => {
    await mkdir(disk('d'))
    const d = await c.lookup(root, 'd')
    assert.ok((await c.lookup(d, '..')).equals(root))
    assert.ok((await c.lookup(d, '.')).equals(d))
    assert.ok((await c.lookup(root, '..')).equals(root), 'an export root is its own parent')
    const pseudo = (await c.mnt('/')).fh
    assert.ok((await c.lookup(pseudo, 'alpha')).equals(root))
    assert.equal((await c.call(P3.LOOKUP, (w) => dirop(w, pseudo, 'nope'))).status, S.NOENT)
    const miss = await c.call(P3.LOOKUP, (w) => dirop(w, root, 'missing'))
    assert.equal(miss.status, S.NOENT)
    assert.equal(postOp(miss.r)?.type, 2)
    assert.equal((await c.call(P3.LOOKUP, (w) => dirop(w, root, 'x'.repeat(300)))).status, S.NAMETOOLONG)
  })

  it('ACCESS grants no mutation on a read-only export or the pseudo-root', async () => {
    const access = async (fh: Buffer): Promise<number> => {
      const { status, r } = await c.call(P3.ACCESS, (w) => w.opaque(fh).u32(0x3f))
      assert.equal(status, S.OK)
      postOp(r)
      return r.u32()
    }
    assert.equal(await access(root), 0x1f)
    assert.equal(await access(ro), 0x3)
    assert.equal(await access((await c.mnt('/')).fh), 0x3)
  })

  it('READ and WRITE: eof, UNSTABLE and FILE_SYNC with one verifier, COMMIT, ISDIR, change notices', async () => {
    const { fh } = await c.create(root, 'data.bin')
    const one = await c.write(fh!, 0n, Buffer.from('hello '), 0)
    const two = await c.write(fh!, 6n, Buffer.from('world'), 2)
    assert.deepEqual([one.count, one.committed, two.committed], [6, 0, 2])
    assert.ok(one.verf.equals(two.verf))
    const commit = await c.call(P3.COMMIT, (w) => w.opaque(fh!).u64(0n).u32(0))
    assert.equal(commit.status, S.OK)
    wcc(commit.r)
    assert.ok(Buffer.from(commit.r.fixed(8)).equals(one.verf))
    assert.equal(await readFile(disk('data.bin'), 'utf8'), 'hello world')
    assert.ok(t.exports.get('alpha')!.changes.includes('data.bin'))
    const all = await c.read(fh!, 0n, 100)
    assert.deepEqual([all.data.toString(), all.eof], ['hello world', true])
    const part = await c.read(fh!, 0n, 5)
    assert.deepEqual([part.data.toString(), part.eof], ['hello', false])
    const past = await c.read(fh!, 100n, 10)
    assert.deepEqual([past.data.length, past.eof], [0, true])
    assert.equal((await c.read(root, 0n, 10)).status, S.ISDIR)
    assert.equal((await c.call(P3.WRITE, (w) => w.opaque(fh!).u64(0n).u32(10).u32(2).opaque(Buffer.from('abc')))).status, S.INVAL)
  })

  it('CREATE: UNCHECKED truncates an existing file, GUARDED refuses it, EXCLUSIVE is idempotent per verifier', async () => {
    await writeFile(disk('old'), 'content')
    assert.equal((await c.create(root, 'old', { mode: 0, attrs: { size: 0n } })).status, S.OK)
    assert.equal(await readFile(disk('old'), 'utf8'), '')
    assert.equal((await c.create(root, 'old', { mode: 1 })).status, S.EXIST)
    const verf = Buffer.from('verifier')
    const first = await c.create(root, 'ex', { verf })
    const again = await c.create(root, 'ex', { verf })
    assert.equal(again.status, S.OK)
    assert.ok(first.fh!.equals(again.fh!))
    assert.equal((await c.create(root, 'ex', { verf: Buffer.from('other!!!') })).status, S.EXIST)
    assert.equal((await c.create(root, '.', {})).status, S.EXIST)
    await mkdir(disk('dir'))
    assert.equal((await c.create(root, 'dir', {})).status, S.EXIST)
  })

  it('MKDIR, SYMLINK and READLINK, MKNOD (FIFO made, devices NOTSUPP), LINK', async () => {
    const md = await c.call(P3.MKDIR, (w) => sattr3(dirop(w, root, 'sub'), { mode: 0o1777 }))
    assert.equal(md.status, S.OK)
    assert.equal(md.r.bool(), true)
    md.r.opaque(64)
    assert.equal(postOp(md.r)?.mode, 0o1777)
    assert.equal((await c.call(P3.MKDIR, (w) => sattr3(dirop(w, root, 'sub')))).status, S.EXIST)
    const sl = await c.call(P3.SYMLINK, (w) => sattr3(dirop(w, root, 'link')).string('/nonexistent/target'))
    assert.equal(sl.status, S.OK)
    const link = await c.lookup(root, 'link')
    const rl = await c.call(P3.READLINK, (w) => w.opaque(link))
    assert.equal(rl.status, S.OK)
    postOp(rl.r)
    assert.equal(rl.r.string(4096), '/nonexistent/target')
    assert.equal((await c.call(P3.READLINK, (w) => w.opaque(root))).status, S.INVAL)
    const fifo = await c.call(P3.MKNOD, (w) => sattr3(dirop(w, root, 'fifo').u32(7), { mode: 0o600 }))
    assert.equal(fifo.status, S.OK)
    assert.equal((await c.getattr(await c.lookup(root, 'fifo'))).type, 7)
    assert.equal((await c.call(P3.MKNOD, (w) => sattr3(dirop(w, root, 'dev').u32(4)).u32(1).u32(3))).status, S.NOTSUPP)
    assert.equal((await c.call(P3.MKNOD, (w) => dirop(w, root, 'reg').u32(1))).status, 10007)
    const { fh } = await c.create(root, 'target')
    const ln = await c.call(P3.LINK, (w) => dirop(w.opaque(fh!), root, 'hard'))
    assert.equal(ln.status, S.OK)
    assert.equal(postOp(ln.r)?.nlink, 2)
  })

  it('REMOVE, RMDIR and RENAME: ISDIR, NOTDIR, NOTEMPTY, handles kept across a rename, XDEV across namespaces', async () => {
    await mkdir(disk('dir', 'inner'), { recursive: true })
    await writeFile(disk('file'), 'x')
    assert.equal((await c.call(P3.REMOVE, (w) => dirop(w, root, 'dir'))).status, S.ISDIR)
    assert.equal((await c.call(P3.RMDIR, (w) => dirop(w, root, 'file'))).status, S.NOTDIR)
    const ne = await c.call(P3.RMDIR, (w) => dirop(w, root, 'dir'))
    assert.equal(ne.status, S.NOTEMPTY)
    assert.equal(wcc(ne.r).post?.type, 2, 'resfail carries the directory wcc data')
    const inner = await c.lookup(await c.lookup(root, 'dir'), 'inner')
    const mv = await c.call(P3.RENAME, (w) => dirop(dirop(w, root, 'dir'), root, 'moved'))
    assert.equal(mv.status, S.OK)
    assert.equal((await c.getattr(inner)).type, 2, 'a handle under the moved directory still works')
    assert.ok((await c.lookup(await c.lookup(root, 'moved'), 'inner')).equals(inner))
    const beta = (await c.mnt('/beta')).fh
    assert.equal((await c.call(P3.RENAME, (w) => dirop(dirop(w, root, 'file'), beta, 'file'))).status, S.XDEV)
    assert.equal((await c.call(P3.REMOVE, (w) => dirop(w, root, 'file'))).status, S.OK)
    const moved = await c.lookup(root, 'moved')
    assert.equal((await c.call(P3.RMDIR, (w) => dirop(w, moved, 'inner'))).status, S.OK)
    assert.equal((await c.call(P3.REMOVE, (w) => dirop(w, root, 'file'))).status, S.NOENT)
  })

  it('read-only exports and the pseudo-root answer ROFS to every mutation', async () => {
    const f = await c.lookup(ro, 'f')
    const pseudo = (await c.mnt('/')).fh
    assert.equal((await c.write(f, 0n, Buffer.from('x'))).status, S.ROFS)
    assert.equal((await c.create(ro, 'new')).status, S.ROFS)
    assert.equal((await c.call(P3.REMOVE, (w) => dirop(w, ro, 'f'))).status, S.ROFS)
    assert.equal((await c.call(P3.MKDIR, (w) => sattr3(dirop(w, pseudo, 'ns')))).status, S.ROFS)
    assert.equal((await c.call(P3.SETATTR, (w) => sattr3(w.opaque(f), { mode: 0o777 }).bool(false))).status, S.ROFS)
    assert.equal(await readFile(join(t.root, 'ro', 'f'), 'utf8'), 'read only')
    assert.equal((await c.read(f, 0n, 100)).data.toString(), 'read only')
  })

  it('READDIR and READDIRPLUS: "." and "..", paging by cookie without loss, handles, BAD_COOKIE, TOOSMALL', async () => {
    await mkdir(disk('many'))
    for (let i = 0; i < 300; i++) await writeFile(disk('many', `file-${i}`), '')
    const dir = await c.lookup(root, 'many')
    for (const opts of [{}, { count: 1024 }, { count: 0xffffffff }, { plus: true }, { plus: true, count: 512 }]) {
      const names = (await c.list(dir, opts)).map((e) => e.name)
      assert.equal(names.length, 302, JSON.stringify(opts))
      assert.equal(new Set(names).size, 302)
      assert.deepEqual(names.slice(0, 2), ['.', '..'])
    }
    const plus = await c.list(dir, { plus: true })
    assert.ok(plus.find((e) => e.name === 'file-7')!.fh!.equals(await c.lookup(dir, 'file-7')))
    assert.ok(plus.find((e) => e.name === '..')!.fh!.equals(root))
    assert.equal((await c.call(P3.READDIR, (w) => w.opaque(dir).u64(5n).fixed(Buffer.from('badverf!')).u32(4096))).status, S.BAD_COOKIE)
    assert.equal((await c.call(P3.READDIR, (w) => w.opaque(dir).u64(0n).fixed(Buffer.alloc(8)).u32(50))).status, S.TOOSMALL)
    const file = await c.lookup(dir, 'file-1')
    assert.equal((await c.call(P3.READDIR, (w) => w.opaque(file).u64(0n).fixed(Buffer.alloc(8)).u32(4096))).status, S.NOTDIR)
    const pseudo = (await c.mnt('/')).fh
    assert.deepEqual((await c.list(pseudo, { plus: true })).map((e) => e.name), ['.', '..', 'alpha', 'beta', 'ro'])
  })

  it('FSSTAT, FSINFO and PATHCONF', async () => {
    const fs = await c.call(P3.FSSTAT, (w) => w.opaque(root))
    assert.equal(fs.status, S.OK)
    postOp(fs.r)
    assert.ok(fs.r.u64() > 0n)
    const info = await c.call(P3.FSINFO, (w) => w.opaque(root))
    assert.equal(info.status, S.OK)
    assert.equal(fattr3((info.r.bool(), info.r)).type, 2)
    assert.deepEqual([info.r.u32(), info.r.u32()], [1 << 20, 1 << 20])
    const pc = await c.call(P3.PATHCONF, (w) => w.opaque(root))
    assert.equal(pc.status, S.OK)
    postOp(pc.r)
    assert.deepEqual([pc.r.u32(), pc.r.u32(), pc.r.bool()], [65000, 255, true])
    // each namespace is its own file system
    const a = await c.getattr(root)
    const b = await c.getattr((await c.mnt('/beta')).fh)
    assert.notEqual(a.fsid, b.fsid)
  })

  it('a file under a symlinked path component is not followed', async () => {
    await mkdir(join(t.root, 'outside'))
    await writeFile(join(t.root, 'outside', 'secret'), 'no')
    await symlink(join(t.root, 'outside'), disk('escape'))
    const esc = await c.lookup(root, 'escape')
    assert.equal((await c.call(P3.LOOKUP, (w) => dirop(w, esc, 'secret'))).status, S.NOTDIR)
    assert.equal((await c.create(esc, 'planted')).status, S.NOTDIR)
  })
})
