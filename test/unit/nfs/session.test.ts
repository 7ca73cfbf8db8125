import assert from 'node:assert/strict'
import { mkdir, rm, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { NfsStatus } from '../../../src/nfs/errors.js'
import { startNfs, type TestNfs } from '../../helpers/nfs.js'
import { RawClient, clientId, op, op41, res, session } from '../../helpers/nfs-client.js'

describe('nfs/v4.1 sessions and more ops', () => {
  let t: TestNfs
  let c: RawClient
  beforeEach(async () => {
    t = await startNfs(['data'])
    c = await RawClient.connect(t.port)
  })
  afterEach(async () => { c.close(); await t.close() })

  it('SEQUENCE: new requests advance the slot, a retry gets the cached reply, others are misordered', async () => {
    const sid = await session(c, 'linux-like')
    const first = await c.compound(1, (w) => { op41.sequence(w, sid, 1); op.putrootfh(w); op.readdir(w) }, 3)
    assert.equal(first.status, 0)
    const replay = await c.compound(1, (w) => { op41.sequence(w, sid, 1); op.putrootfh(w); op.readdir(w) }, 3)
    assert.equal(replay.status, 0)
    assert.equal(replay.n, 3)
    assert.equal((await c.compound(1, (w) => op41.sequence(w, sid, 5), 1)).status, NfsStatus.SEQ_MISORDERED)
    assert.equal((await c.compound(1, (w) => op41.sequence(w, sid, 2), 1)).status, 0)
    assert.equal((await c.compound(1, (w) => op41.sequence(w, sid, 1, 99), 1)).status, NfsStatus.BADSLOT)
    assert.equal((await c.compound(1, (w) => op41.sequence(w, Buffer.alloc(16), 1), 1)).status, NfsStatus.BADSESSION)
    assert.equal((await c.compound(1, (w) => { op41.sequence(w, sid, 3); op41.sequence(w, sid, 4) }, 2)).status, NfsStatus.SEQUENCE_POS)
    // 4.0-only ops do not exist in 4.1
    assert.equal((await c.compound(1, (w) => { op41.sequence(w, sid, 4); op.setclientid(w, 'x') }, 2)).status, NfsStatus.NOTSUPP)
  })

  it('READDIR pages by inode cookies: removing entries between calls skips nothing', async () => {
    const dir = join(t.root, 'data', 'd')
    await mkdir(dir)
    for (let i = 0; i < 60; i++) await writeFile(join(dir, `file-${i}`), '')
    const seen = new Set<string>()
    let cookie = 0n
    for (let round = 0; round < 100; round++) {
      const a = await c.compound(0, (w) => { op.putrootfh(w); op.lookup(w, 'data'); op.lookup(w, 'd'); op.readdir(w, cookie, 600) }, 4)
      assert.equal(a.status, 0, NfsStatus[a.status])
      res(a.r); res(a.r); res(a.r); res(a.r)
      a.r.fixed(8)
      const got: string[] = []
      while (a.r.bool()) { cookie = a.r.u64(); got.push(a.r.string(255)); a.r.array(8, (x) => x.u32()); a.r.opaque(4096) }
      const eof = a.r.bool()
      assert.ok(got.length > 0 && got.length < 60, 'maxcount splits the listing')
      for (const g of got) { assert.ok(!seen.has(g), `${g} twice`); seen.add(g) }
      // like rm -rf: delete what was returned before asking for more
      for (const g of got) await rm(join(dir, g))
      if (eof) break
    }
    assert.equal(seen.size, 60)
    const tiny = await c.compound(0, (w) => { op.putrootfh(w); op.lookup(w, 'data'); op.readdir(w, 0n, 30) }, 3)
    assert.equal(tiny.status, NfsStatus.TOOSMALL)
  })

  it('LOCK conflicts between clients are DENIED with the holder in the reply', async () => {
    await writeFile(join(t.root, 'data', 'locked'), 'x')
    const openFile = async (cl: RawClient, id: bigint, owner: string): Promise<Buffer> => {
      const a = await cl.compound(0, (w) => { op.putrootfh(w); op.lookup(w, 'data'); op.open(w, id, owner, 'locked', 3) }, 3)
      assert.equal(a.status, 0, NfsStatus[a.status])
      res(a.r); res(a.r); res(a.r)
      return Buffer.from(a.r.fixed(16))
    }
    const c2 = await RawClient.connect(t.port)
    try {
      const id1 = await clientId(c, 'one')
      const id2 = await clientId(c2, 'two')
      const s1 = await openFile(c, id1, 'o1')
      const s2 = await openFile(c2, id2, 'o2')
      const lock = (cl: RawClient, sid: Buffer, id: bigint, owner: string, off: bigint) =>
        cl.compound(0, (w) => { op.putrootfh(w); op.lookup(w, 'data'); op.lookup(w, 'locked'); op.lock(w, sid, id, owner, true, off, 10n) }, 4)
      assert.equal((await lock(c, s1, id1, 'l1', 0n)).status, 0)
      const denied = await lock(c2, s2, id2, 'l2', 5n)
      assert.equal(denied.status, NfsStatus.DENIED)
      res(denied.r); res(denied.r); res(denied.r); res(denied.r)
      assert.deepEqual([denied.r.u64(), denied.r.u64(), denied.r.u32(), denied.r.u64()], [0n, 10n, 2, id1])
      assert.equal((await lock(c2, s2, id2, 'l2', 10n)).status, 0)
    } finally { c2.close() }
  })
})
