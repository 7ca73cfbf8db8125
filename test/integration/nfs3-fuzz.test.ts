import assert from 'node:assert/strict'
import { writeFile, mkdir } from 'node:fs/promises'
import { join } from 'node:path'
import { recordMark } from '../../src/nfs/rpc/record.js'
import { XdrWriter } from '../../src/nfs/xdr/writer.js'
import { startNfs, type TestNfs } from '../helpers/nfs.js'
import { RawClient } from '../helpers/nfs-client.js'
import { P3, V3Client, dirop, sattr3 } from '../helpers/nfs3-client.js'
import { Fuzzer, blast } from '../helpers/fuzz.js'

const SEED = Number(process.env.NFS_FUZZ_SEED ?? 20261121)
const TIME_LIMIT_MS = Number(process.env.NFS_FUZZ_MS ?? 6000)

/**
 * Every NFSv3 procedure and MOUNT call, valid at first, then with flipped bits, cut short or with a
 * stretched length: the server answers (GARBAGE_ARGS or an NFS status) or closes the connection,
 * and a well-behaved client on another connection is served all along.
 */
describe('nfs: fuzzing NFSv3 and MOUNT', function () {
  this.timeout(TIME_LIMIT_MS + 60_000)
  let t: TestNfs
  before(async () => {
    t = await startNfs(['data'])
    await mkdir(join(t.root, 'data', 'dir'))
    await writeFile(join(t.root, 'data', 'file'), 'x'.repeat(10000))
  })
  after(async () => { await t?.close() })

  it(`keeps serving through random and mutated v3 calls (seed ${SEED})`, async () => {
    const fz = new Fuzzer(SEED)
    const int = (n: number): number => fz.int(n)
    const bytes = (n: number): Buffer => fz.bytes(n)
    const probe = new V3Client(await RawClient.connect(t.port))
    const root = (await probe.mnt('/data')).fh
    const file = await probe.lookup(root, 'file')
    const healthy = async (): Promise<void> => { assert.equal((await probe.getattr(root)).type, 2) }

    const call = (prog: number, proc: number, body: (w: XdrWriter) => void): Buffer => {
      const w = new XdrWriter()
      w.u32(int(1e9)).u32(0).u32(2).u32(prog).u32(3).u32(proc)
      w.u32(1).opaque(new XdrWriter().u32(0).string('fuzz').u32(0).u32(0).u32(0).toBuffer()).u32(0).u32(0)
      body(w)
      return w.toBuffer()
    }
    const n = (w: XdrWriter, name = 'fz'): XdrWriter => dirop(w, root, name)
    const base: Buffer[] = [
      call(100005, 1, (w) => w.string('/data')),
      call(100005, 1, (w) => w.string('/')),
      call(100005, 3, (w) => w.string('/data')),
      call(100005, 5, () => {}),
      call(100003, P3.GETATTR, (w) => w.opaque(file)),
      call(100003, P3.SETATTR, (w) => sattr3(w.opaque(file), { mode: 0o644, size: 100n, mtime: 5 }).bool(true).u32(1).u32(2)),
      call(100003, P3.LOOKUP, (w) => n(w, 'file')),
      call(100003, P3.ACCESS, (w) => w.opaque(file).u32(0x3f)),
      call(100003, P3.READLINK, (w) => w.opaque(file)),
      call(100003, P3.READ, (w) => w.opaque(file).u64(10n).u32(4096)),
      call(100003, P3.WRITE, (w) => w.opaque(file).u64(5n).u32(3).u32(1).opaque(Buffer.from('abc'))),
      call(100003, P3.CREATE, (w) => sattr3(n(w).u32(1), { mode: 0o600 })),
      call(100003, P3.CREATE, (w) => n(w, 'ex').u32(2).fixed(Buffer.from('verifier'))),
      call(100003, P3.MKDIR, (w) => sattr3(n(w, 'd'))),
      call(100003, P3.SYMLINK, (w) => sattr3(n(w, 'l')).string('target')),
      call(100003, P3.MKNOD, (w) => sattr3(n(w, 'p').u32(7))),
      call(100003, P3.MKNOD, (w) => sattr3(n(w, 'c').u32(4)).u32(1).u32(2)),
      call(100003, P3.REMOVE, (w) => n(w)),
      call(100003, P3.RMDIR, (w) => n(w, 'd')),
      call(100003, P3.RENAME, (w) => dirop(n(w), root, 'fz2')),
      call(100003, P3.LINK, (w) => n(w.opaque(file), 'hl')),
      call(100003, P3.READDIR, (w) => w.opaque(root).u64(0n).fixed(Buffer.alloc(8)).u32(4096)),
      call(100003, P3.READDIRPLUS, (w) => w.opaque(root).u64(0n).fixed(Buffer.alloc(8)).u32(1024).u32(8192)),
      call(100003, P3.FSSTAT, (w) => w.opaque(root)),
      call(100003, P3.FSINFO, (w) => w.opaque(root)),
      call(100003, P3.PATHCONF, (w) => w.opaque(root)),
      call(100003, P3.COMMIT, (w) => w.opaque(file).u64(0n).u32(0))
    ]

    const { sent, closedByServer } = await blast(t.port, TIME_LIMIT_MS, () => {
      const rec = int(5) === 0
        ? call(int(2) ? 100003 : 100005, int(25), (w) => w.fixed(bytes(int(200)))) // a random procedure, random arguments
        : fz.mutate(base[int(base.length)]!, 40) // a valid call, mutated past the RPC header
      return Buffer.concat([recordMark(rec.length), rec])
    }, healthy)
    await healthy()
    probe.c.close()
    assert.ok(sent > 100, `only ${sent} requests sent`)
    assert.ok(t.server.opened && !t.server.closing)
    const faults = Object.entries(t.server.stats().ops).filter(([, m]) => (m.SERVERFAULT ?? 0) > 0)
    assert.deepEqual(faults, [], 'no procedure may fail with SERVERFAULT on bad input')
    console.log(`      ${sent} fuzzed v3/MOUNT records, ${closedByServer} connections closed by the server, still serving`)
  })
})
