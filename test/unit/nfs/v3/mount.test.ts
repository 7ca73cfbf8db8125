import assert from 'node:assert/strict'
import { mkdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { silentLogger } from '../../../../src/log.js'
import { AllowList } from '../../../../src/nfs/allow.js'
import { MountProgram } from '../../../../src/nfs/v3/mount.js'
import type { LocalVfs } from '../../../../src/nfs/vfs/local.js'
import { XdrReader } from '../../../../src/nfs/xdr/reader.js'
import { XdrWriter } from '../../../../src/nfs/xdr/writer.js'
import { startNfs, type TestNfs } from '../../../helpers/nfs.js'
import { RawClient } from '../../../helpers/nfs-client.js'
import { V3Client } from '../../../helpers/nfs3-client.js'

describe('nfs/v3 MOUNT', () => {
  let t: TestNfs
  let raw: RawClient
  let c: V3Client
  beforeEach(async () => {
    t = await startNfs(['alpha', 'beta'])
    raw = await RawClient.connect(t.port)
    c = new V3Client(raw)
  })
  afterEach(async () => { raw.close(); await t.close() })

  const list = (r: XdrReader, item: (r: XdrReader) => string): string[] => {
    const out: string[] = []
    while (r.bool()) out.push(item(r))
    return out
  }

  it('mounts /NAME, /NAME/dir and / with AUTH_SYS; unknown paths are NOENT, files NOTDIR, long paths NAMETOOLONG', async () => {
    await mkdir(join(t.root, 'alpha', 'sub'))
    await writeFile(join(t.root, 'alpha', 'file'), '')
    const a = await c.mnt('/alpha')
    assert.deepEqual([a.status, a.flavors], [0, [1]])
    assert.ok((await c.mnt('alpha/')).fh.equals(a.fh))
    assert.ok((await c.mnt('/alpha/sub')).fh.equals(await c.lookup(a.fh, 'sub')))
    const root = await c.mnt('/')
    assert.equal(root.status, 0)
    assert.ok((await c.lookup(root.fh, 'beta')).equals((await c.mnt('/beta')).fh))
    assert.equal((await c.mnt('/nope')).status, 2)
    assert.equal((await c.mnt('/alpha/missing')).status, 2)
    assert.equal((await c.mnt('/alpha/file')).status, 20)
    assert.equal((await c.mnt('/alpha/' + 'x'.repeat(2000))).status, 63)
  })

  it('EXPORT lists the namespaces; DUMP follows MNT, UMNT and UMNTALL', async () => {
    const exp = await c.rpc(100005, 3, 5)
    assert.equal(exp.accept, 0)
    assert.deepEqual(list(exp.r, (r) => { const d = r.string(1024); while (r.bool()) r.string(255); return d }), ['/alpha', '/beta'])
    const dump = async (): Promise<string[]> => list((await c.rpc(100005, 3, 2)).r, (r) => `${r.string(255)} ${r.string(1024)}`)
    await c.mnt('/alpha')
    await c.mnt('/beta')
    assert.deepEqual(await dump(), ['127.0.0.1 /alpha', '127.0.0.1 /beta'])
    assert.equal((await c.rpc(100005, 3, 3, (w) => w.string('/alpha'))).accept, 0)
    assert.deepEqual(await dump(), ['127.0.0.1 /beta'])
    assert.equal((await c.rpc(100005, 3, 4)).accept, 0)
    assert.deepEqual(await dump(), [])
  })

  it('answers NULL, PROG_MISMATCH 3..3 for MOUNT v1, PROC_UNAVAIL for unknown procedures, GARBAGE_ARGS for a bad path', async () => {
    assert.equal((await c.rpc(100005, 3, 0)).accept, 0)
    const v1 = await c.rpc(100005, 1, 0)
    assert.equal(v1.accept, 2)
    assert.deepEqual([v1.r.u32(), v1.r.u32()], [3, 3])
    assert.equal((await c.rpc(100005, 3, 9)).accept, 3)
    assert.equal((await c.rpc(100005, 3, 1, (w) => w.u32(100))).accept, 4)
  })

  it('refuses MNT to an address outside SHOAL_NFS_ALLOW (MNT3ERR_ACCES)', async () => {
    const mount = new MountProgram({
      vfs: undefined as unknown as LocalVfs, exports: t.table, log: silentLogger, writeVerf: Buffer.alloc(8), allow: new AllowList(['10.0.0.0/8'])
    })
    const args = new XdrReader(new XdrWriter().string('/alpha').toBuffer())
    const reply = await mount.call({ xid: 1, prog: 100005, vers: 3, proc: 1, auth: undefined, args }, { id: 1, remote: '127.0.0.1:700' })
    assert.equal(new XdrReader(reply.toBuffer()).u32(), 13)
  })
})
