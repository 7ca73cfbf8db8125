import assert from 'node:assert/strict'
import { renameSync, writeFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { silentLogger } from '../../../src/log.js'
import { NfsStatus } from '../../../src/nfs/errors.js'
import { StaticExportTable } from '../../../src/nfs/exports.js'
import { LocalVfs } from '../../../src/nfs/vfs/local.js'
import { TestExport } from '../../helpers/nfs.js'

// The vfs keeps descriptors open and does its metadata calls in place; nothing it keeps may hide
// a change made on disk by another process (a bind mount, replication's temp file + rename).
describe('nfs/vfs local: coherence with changes made outside NFS', () => {
  let root: string
  let exp: TestExport
  let vfs: LocalVfs
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'shoal-lvfs-'))
    exp = new TestExport('data', 1, join(root, 'data'))
    await mkdir(exp.path)
    vfs = new LocalVfs(new StaticExportTable([exp]), join(root, '.state'), silentLogger)
    await vfs.open()
  })
  afterEach(async () => { await vfs.close(); await rm(root, { recursive: true, force: true }) })

  const creds = { uid: process.geteuid?.() ?? 0, gid: process.getegid?.() ?? 0 }

  it('sees an in-place write by another process at once, through its cached descriptor', async () => {
    const { node: dir } = await vfs.root(exp)
    const made = await vfs.create(dir, 'f', { mode: 'unchecked' }, {}, creds)
    await vfs.write(made.node, 0n, Buffer.from('hello'), false)
    assert.deepEqual(exp.changes, ['f', 'f'], 'replication hears of the create and the write')
    assert.equal((await vfs.read(made.node, 0n, 100)).data.toString(), 'hello')
    writeFileSync(join(exp.path, 'f'), 'changed by someone else') // same inode, new content
    assert.equal((await vfs.stat(made.node)).size, 23n)
    const r = await vfs.read(made.node, 0n, 100)
    assert.equal(r.data.toString(), 'changed by someone else')
    assert.equal(r.eof, true)
  })

  it('after a replace by temp file + rename, the name is the new file and the old handle is not it', async () => {
    const { node: dir } = await vfs.root(exp)
    const made = await vfs.create(dir, 'f', { mode: 'unchecked' }, {}, creds)
    await vfs.write(made.node, 0n, Buffer.from('old'), true)
    writeFileSync(join(exp.path, '.f.tmp'), 'new from a peer')
    renameSync(join(exp.path, '.f.tmp'), join(exp.path, 'f'))
    const found = await vfs.lookup(dir, 'f')
    assert.notEqual(found.node.ino, made.node.ino)
    assert.equal(found.stat.size, 15n)
    assert.equal((await vfs.read(found.node, 0n, 100)).data.toString(), 'new from a peer')
    // the replaced inode is gone from the folder: its handle is STALE, never the new file's data
    await assert.rejects(vfs.resolve(vfs.handle(made.node)), (err: { status?: number }) => err.status === NfsStatus.STALE)
  })

  it('a COMMIT makes what was written durable whatever the descriptor knows', async () => {
    const { node: dir } = await vfs.root(exp)
    const made = await vfs.create(dir, 'g', { mode: 'guarded' }, {}, creds)
    await vfs.write(made.node, 0n, Buffer.alloc(512 * 1024, 1), false) // above the in-place sync size: the pool syncs it
    await vfs.commit(made.node)
    await vfs.write(made.node, 4n, Buffer.from('x'), true) // FILE_SYNC: synced before the reply
    assert.equal((await vfs.stat(made.node)).size, 512n * 1024n)
  })
})
