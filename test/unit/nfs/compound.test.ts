import assert from 'node:assert/strict'
import { mkdir, rename, rm, symlink, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NfsStatus } from '../../../src/nfs/errors.js'
import { XdrReader } from '../../../src/nfs/xdr/reader.js'
import { startNfs, TestExport, type TestNfs } from '../../helpers/nfs.js'
import { RawClient, clientId, op, res } from '../../helpers/nfs-client.js'

describe('nfs/v4 compound', () => {
  let t: TestNfs
  let c: RawClient
  beforeEach(async () => {
    t = await startNfs(['alpha', 'beta'])
    c = await RawClient.connect(t.port)
  })
  afterEach(async () => { c.close(); await t.close() })

  const getfh = async (...names: string[]): Promise<Buffer> => {
    const a = await c.compound(0, (w) => { op.putrootfh(w); for (const n of names) op.lookup(w, n); op.getfh(w) }, names.length + 2)
    assert.equal(a.status, 0, `lookup ${names.join('/')}: ${NfsStatus[a.status]}`)
    for (let i = 0; i <= names.length; i++) res(a.r)
    res(a.r)
    return Buffer.from(a.r.opaque(128))
  }
  const statusOf = async (minor: number, ops: (w: import('../../../src/nfs/xdr/writer.js').XdrWriter) => void, n: number): Promise<NfsStatus> =>
    (await c.compound(minor, ops, n)).status
  const names = (r: XdrReader): string[] => {
    r.fixed(8)
    const out: string[] = []
    while (r.bool()) { r.u64(); out.push(r.string(255)); r.array(8, (x) => x.u32()); r.opaque(4096) }
    return out
  }

  it('answers minor version 2 and above with MINOR_VERS_MISMATCH and no results', async () => {
    const a = await c.compound(2, (w) => op.putrootfh(w), 1)
    assert.equal(a.status, NfsStatus.MINOR_VERS_MISMATCH)
    assert.equal(a.n, 0)
  })

  it('gives OP_ILLEGAL for unknown ops, NOFILEHANDLE without a filehandle, BADHANDLE for foreign handles', async () => {
    const a = await c.compound(0, (w) => w.u32(9999), 1)
    assert.deepEqual([a.status, ...res(a.r)], [NfsStatus.OP_ILLEGAL, 10044, NfsStatus.OP_ILLEGAL])
    assert.equal(await statusOf(0, (w) => op.getfh(w), 1), NfsStatus.NOFILEHANDLE)
    assert.equal(await statusOf(0, (w) => op.putfh(w, Buffer.from('not a handle')), 1), NfsStatus.BADHANDLE)
    assert.equal(await statusOf(1, (w) => op.putrootfh(w), 1), NfsStatus.OP_NOT_IN_SESSION)
  })

  it('lists the exports in the pseudo-root and follows the table live', async () => {
    const list = async (): Promise<string[]> => {
      const a = await c.compound(0, (w) => { op.putrootfh(w); op.readdir(w) }, 2)
      assert.equal(a.status, 0)
      res(a.r); res(a.r)
      return names(a.r)
    }
    assert.deepEqual(await list(), ['alpha', 'beta'])
    const fh = await getfh('beta')
    t.table.remove('beta')
    assert.deepEqual(await list(), ['alpha'])
    assert.equal(await statusOf(0, (w) => { op.putfh(w, fh); op.getattr(w, [2]) }, 2), NfsStatus.STALE)
    assert.equal(await statusOf(0, (w) => { op.putrootfh(w); op.lookup(w, 'beta') }, 2), NfsStatus.NOENT)
    const g = new TestExport('gamma', 3, join(t.root, 'gamma'))
    await mkdir(g.path)
    t.table.add(g)
    assert.deepEqual(await list(), ['alpha', 'gamma'])
  })

  it('checks names: .., slashes, empty', async () => {
    assert.equal(await statusOf(0, (w) => { op.putrootfh(w); op.lookup(w, 'alpha'); op.lookup(w, '..') }, 3), NfsStatus.BADNAME)
    assert.equal(await statusOf(0, (w) => { op.putrootfh(w); op.lookup(w, 'alpha'); op.lookup(w, 'a/b') }, 3), NfsStatus.BADCHAR)
    assert.equal(await statusOf(0, (w) => { op.putrootfh(w); op.lookup(w, 'alpha'); op.lookup(w, '') }, 3), NfsStatus.INVAL)
  })

  it('never follows a symlink out of the export, and LOOKUPP stops at the pseudo-root', async () => {
    await symlink('/', join(t.root, 'alpha', 'escape'))
    assert.equal(await statusOf(0, (w) => { op.putrootfh(w); op.lookup(w, 'alpha'); op.lookup(w, 'escape'); op.lookup(w, 'etc') }, 4), NfsStatus.SYMLINK)
    const a = await c.compound(0, (w) => { op.putrootfh(w); op.lookup(w, 'alpha'); op.lookupp(w); op.getfh(w) }, 4)
    assert.equal(a.status, 0)
    res(a.r); res(a.r); res(a.r); res(a.r)
    assert.ok(a.r.opaque(128).equals((await (async () => {
      const b = await c.compound(0, (w) => { op.putrootfh(w); op.getfh(w) }, 2); res(b.r); res(b.r); return Buffer.from(b.r.opaque(128))
    })())))
    assert.equal(await statusOf(0, (w) => { op.putrootfh(w); op.lookupp(w) }, 2), NfsStatus.NOENT)
  })

  it('refuses mutations on a read-only export and in the pseudo-root with ROFS', async () => {
    const ro = new TestExport('ro', 9, join(t.root, 'ro'), true)
    await mkdir(ro.path)
    t.table.add(ro)
    assert.equal(await statusOf(0, (w) => { op.putrootfh(w); op.lookup(w, 'ro'); op.mkdir(w, 'x') }, 3), NfsStatus.ROFS)
    assert.equal(await statusOf(0, (w) => { op.putrootfh(w); op.mkdir(w, 'x') }, 2), NfsStatus.ROFS)
    assert.equal(await statusOf(0, (w) => { op.putrootfh(w); op.lookup(w, 'alpha'); op.mkdir(w, 'x') }, 3), NfsStatus.OK)
    assert.deepEqual(t.exports.get('alpha')!.changes, ['x'])
  })

  it('keeps handles across a rename behind its back, a restart, and makes a removed file STALE', async () => {
    await mkdir(join(t.root, 'alpha', 'd1'))
    await writeFile(join(t.root, 'alpha', 'd1', 'f'), 'x')
    const fh = await getfh('alpha', 'd1', 'f')
    const alive = async (): Promise<NfsStatus> => await statusOf(0, (w) => { op.putfh(w, fh); op.getattr(w, [0, 2]) }, 2)
    assert.equal(await alive(), NfsStatus.OK) // now verified (and cached for a moment)
    await rename(join(t.root, 'alpha', 'd1'), join(t.root, 'alpha', 'd2'))
    assert.equal(await alive(), NfsStatus.OK)
    c.close()
    await t.restart()
    c = await RawClient.connect(t.port)
    assert.equal(await alive(), NfsStatus.OK)
    // renamed through NFS: the db follows without a scan
    const dir = await getfh('alpha')
    assert.equal(await statusOf(0, (w) => { op.putfh(w, dir); op.savefh(w); op.rename(w, 'd2', 'd3') }, 3), NfsStatus.OK)
    assert.equal(await alive(), NfsStatus.OK)
    await rm(join(t.root, 'alpha', 'd3', 'f'))
    assert.equal(await alive(), NfsStatus.STALE)
  })

  it('does EXCLUSIVE4 creates as RFC 7530 §16.16.5 says: a retry with the same verifier succeeds', async () => {
    const id = await clientId(c, 'test-client')
    const dir = await getfh('alpha')
    const create = async (verf: Buffer): Promise<NfsStatus> => await statusOf(0, (w) => { op.putfh(w, dir); op.open(w, id, 'o1', 'ex', 3, { exclusive: verf }) }, 2)
    assert.equal(await create(Buffer.from('verifier')), NfsStatus.OK)
    assert.equal(await create(Buffer.from('verifier')), NfsStatus.OK)
    assert.equal(await create(Buffer.from('other!!!')), NfsStatus.EXIST)
  })

  it('calls notifyChange after every mutation, with export-relative paths', async () => {
    const id = await clientId(c, 'notify-client')
    const e = t.exports.get('alpha')!
    await mkdir(join(t.root, 'alpha', 'sub'))
    const sub = await getfh('alpha', 'sub')
    const a = await c.compound(0, (w) => { op.putfh(w, sub); op.open(w, id, 'o', 'f', 3, { exclusive: Buffer.alloc(8, 1) }) }, 2)
    res(a.r); res(a.r)
    const sid = Buffer.from(a.r.fixed(16))
    const f = await getfh('alpha', 'sub', 'f')
    const steps: Array<[string, (w: import('../../../src/nfs/xdr/writer.js').XdrWriter) => void, number]> = [
      ['write', (w) => { op.putfh(w, f); op.write(w, sid, 0n, Buffer.from('x')) }, 2],
      ['commit', (w) => { op.putfh(w, f); op.commit(w) }, 2],
      ['setattr', (w) => { op.putfh(w, f); op.chmod(w, 0o600) }, 2],
      ['link', (w) => { op.putfh(w, f); op.savefh(w); op.putfh(w, sub); op.link(w, 'g') }, 4],
      ['symlink', (w) => { op.putfh(w, sub); op.symlink(w, 's', 'f') }, 2],
      ['rename', (w) => { op.putfh(w, sub); op.savefh(w); op.rename(w, 'g', 'h') }, 3],
      ['remove', (w) => { op.putfh(w, sub); op.remove(w, 'h') }, 2]
    ]
    for (const [name, ops, n] of steps) assert.equal(await statusOf(0, ops, n), 0, name)
    assert.deepEqual(e.changes, ['sub/f', 'sub/f', 'sub/f', 'sub/f', 'sub/g', 'sub/s', 'sub/g', 'sub/h', 'sub/h'])
  })

  it('bounds the reply of one compound: many big READs get RESOURCE, not a huge reply', async () => {
    await writeFile(join(t.root, 'alpha', 'big'), Buffer.alloc(3 << 20, 1))
    const fh = await getfh('alpha', 'big')
    const anon = Buffer.alloc(16)
    const a = await c.compound(0, (w) => { op.putfh(w, fh); for (let i = 0; i < 3; i++) op.read(w, anon, BigInt(i << 20), 1 << 20) }, 4)
    assert.equal(a.status, NfsStatus.RESOURCE)
    res(a.r); res(a.r)
    a.r.bool()
    assert.equal(a.r.opaque(1 << 20).length, 1 << 20)
    res(a.r); a.r.bool()
    assert.ok(a.r.opaque(1 << 20).length < 1 << 20, 'the second READ is cut short')
  })

  it('writes and reads back through an open stateid; CLOSE ends it', async () => {
    const id = await clientId(c, 'rw-client')
    const dir = await getfh('alpha')
    const a = await c.compound(0, (w) => { op.putfh(w, dir); op.open(w, id, 'o1', 'file', 3, { exclusive: Buffer.alloc(8, 3) }); op.getfh(w) }, 3)
    assert.equal(a.status, 0)
    res(a.r); res(a.r)
    const sid = Buffer.from(a.r.fixed(16))
    a.r.bool(); a.r.u64(); a.r.u64(); a.r.u32(); a.r.array(8, (x) => x.u32()); a.r.u32()
    res(a.r)
    const fh = Buffer.from(a.r.opaque(128))
    const data = Buffer.from('hello over nfs')
    assert.equal(await statusOf(0, (w) => { op.putfh(w, fh); op.write(w, sid, 0n, data) }, 2), 0)
    const b = await c.compound(0, (w) => { op.putfh(w, fh); op.read(w, sid, 0n, 100) }, 2)
    res(b.r); res(b.r)
    assert.equal(b.r.bool(), true)
    assert.equal(b.r.opaque(100).toString(), 'hello over nfs')
    assert.equal(await statusOf(0, (w) => { op.putfh(w, fh); op.close(w, sid) }, 2), 0)
    assert.equal(await statusOf(0, (w) => { op.putfh(w, fh); op.write(w, sid, 0n, data) }, 2), NfsStatus.BAD_STATEID)
    assert.equal(await statusOf(0, (w) => { op.putfh(w, dir); op.write(w, Buffer.alloc(16), 0n, data) }, 2), NfsStatus.ISDIR)
  })
})
