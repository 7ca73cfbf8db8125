import assert from 'node:assert/strict'
import { recordMark } from '../../src/nfs/rpc/record.js'
import { XdrWriter } from '../../src/nfs/xdr/writer.js'
import { startNfs, type TestNfs } from '../helpers/nfs.js'
import { RawClient, op } from '../helpers/nfs-client.js'
import { Fuzzer, blast } from '../helpers/fuzz.js'

const SEED = Number(process.env.NFS_FUZZ_SEED ?? 20261121)
const TIME_LIMIT_MS = Number(process.env.NFS_FUZZ_MS ?? 8000)

describe('nfs: fuzzing the wire', function () {
  this.timeout(TIME_LIMIT_MS + 60_000)
  let t: TestNfs
  before(async () => { t = await startNfs(['data']) })
  after(async () => { await t?.close() })

  it(`keeps serving a valid client through random and mutated compounds (seed ${SEED})`, async () => {
    const fz = new Fuzzer(SEED)
    const int = (n: number): number => fz.int(n)
    const bytes = (n: number): Buffer => fz.bytes(n)

    // valid compounds to mutate
    const base: Buffer[] = []
    const header = (xid: number, body: XdrWriter, proc = 1): Buffer => {
      const w = new XdrWriter()
      w.u32(xid).u32(0).u32(2).u32(100003).u32(4).u32(proc)
      w.u32(1).opaque(new XdrWriter().u32(0).string('fuzz').u32(0).u32(0).u32(0).toBuffer()).u32(0).u32(0)
      return w.append(body).toBuffer()
    }
    const compounds: Array<[number, (w: XdrWriter) => void, number]> = [
      [0, (w) => { op.putrootfh(w); op.readdir(w) }, 2],
      [0, (w) => { op.putrootfh(w); op.lookup(w, 'data'); op.getfh(w); op.getattr(w, [0xffffffff, 0xffffffff]) }, 4],
      [0, (w) => { op.setclientid(w, 'fuzzer') }, 1],
      [1, (w) => { w.u32(42).fixed(Buffer.alloc(8)).opaque(Buffer.from('o')).u32(0).u32(0).u32(0) }, 1],
      [0, (w) => { op.putrootfh(w); op.lookup(w, 'data'); op.mkdir(w, 'fz'); op.remove(w, 'fz') }, 4],
      [0, (w) => { op.putrootfh(w); op.lookup(w, 'data'); op.open(w, 1n, 'o', 'x', 3, { exclusive: Buffer.alloc(8) }) }, 3]
    ]
    for (const [minor, ops, n] of compounds) {
      const body = new XdrWriter().string('fz').u32(minor).u32(n)
      ops(body)
      base.push(header(1, body))
    }

    const probe = await RawClient.connect(t.port)
    const healthy = async (): Promise<void> => {
      const a = await probe.compound(0, (w) => { op.putrootfh(w); op.readdir(w) }, 2)
      assert.equal(a.status, 0)
    }
    await healthy()

    const { sent, closedByServer } = await blast(t.port, TIME_LIMIT_MS, () => {
      let rec: Buffer
      const kind = int(6)
      if (kind === 0) rec = bytes(int(200)) // garbage
      else if (kind === 1) { // valid header, random compound body
        const body = new XdrWriter().opaque(bytes(int(8))).u32(int(3)).u32(int(40))
        for (let k = int(30); k > 0; k--) body.u32(int(4) === 0 ? int(70000) : int(60))
        body.fixed(bytes(int(300)))
        rec = header(int(1e9), body, int(4) === 0 ? int(4) : 1)
      } else rec = fz.mutate(base[int(base.length)]!) // a valid compound with bit flips, truncation or a stretched length
      const mark = int(40) === 0 ? recordMark(int(0x7fffffff)) : recordMark(rec.length) // sometimes a huge announced length
      return Buffer.concat([mark, rec])
    }, healthy)
    await healthy()
    probe.close()
    assert.ok(sent > 100, `only ${sent} requests sent`)
    assert.ok(t.server.opened && !t.server.closing)
    const faults = Object.entries(t.server.stats().ops).filter(([, m]) => (m.SERVERFAULT ?? 0) > 0)
    assert.deepEqual(faults, [], 'no op may fail with SERVERFAULT on bad input')
    console.log(`      ${sent} fuzzed records, ${closedByServer} connections closed by the server, still serving`)
  })
})
