import assert from 'node:assert/strict'
import Corestore from 'corestore'
import Hyperdrive from 'hyperdrive'
import { DriveBlocks, GAP, type ChangedEntry } from '../../../src/namespace/drive-blocks.js'
import { onTeardown, tmpDir } from '../../helpers/tmp.js'
import { link, replicaLength, writerDrive } from '../../helpers/stores.js'

async function read (blocks: DriveBlocks): Promise<Array<ChangedEntry | 'gap'>> {
  const out: Array<ChangedEntry | 'gap'> = []
  for await (const e of blocks.changes()) out.push(e === GAP ? 'gap' : e)
  return out
}

describe('drive blocks', function () {
  this.timeout(30_000)

  it('reads the entries written since a version, in order, as drive.diff sees them', async () => {
    const { drive } = await writerDrive()
    await drive.putEntry('/a.txt', { metadata: { n: 1 } })
    const from = drive.version
    const batch = drive.batch()
    await batch.putEntry('/dir/b.txt', { executable: true, metadata: { n: 2 } })
    await batch.putEntry('/a.txt', { linkname: 'x', metadata: { n: 3 } })
    await batch.flush()
    const blocks = new DriveBlocks(drive.core, from, drive.version, { waitMs: 1000 })
    const got = await read(blocks)
    assert.deepEqual(got.map((e) => e === 'gap' ? e : [e.path, e.node?.value.metadata]), [['dir/b.txt', { n: 2 }], ['a.txt', { n: 3 }]])
    const b = got[0] as ChangedEntry
    assert.equal(b.node?.value.executable, true)
    assert.equal(b.node?.key, '/dir/b.txt')
    assert.ok(blocks.done)
    assert.equal(blocks.next, drive.version)
    // From the start: the header block (0) is skipped.
    assert.deepEqual((await read(new DriveBlocks(drive.core, 0, drive.version, { waitMs: 1000 }))).map((e) => e === 'gap' ? e : e.path), ['a.txt', 'dir/b.txt', 'a.txt'])
  })

  it('says GAP before waiting for a block still on its way, and stops at one that does not come', async () => {
    const { store, drive, encryptionKey } = await writerDrive()
    for (let i = 0; i < 4; i++) await drive.putEntry(`/f${i}`, { metadata: { i } })
    const other = new Corestore(await tmpDir())
    onTeardown(async () => { await other.close() })
    const remote = new Hyperdrive(other.session(), drive.key, { encryptionKey })
    await remote.ready()
    const cut = link(store, other)
    await remote.core.update({ wait: true })
    await remote.core.download({ start: 0, end: 3 }).done() // header, f0, f1
    const blocks = new DriveBlocks(remote.core, 0, remote.version, { waitMs: 10_000 })
    const got = await read(blocks)
    // Each block not held is asked for alone (a merge's live download fetches the rest meanwhile).
    assert.deepEqual(got.map((e) => e === 'gap' ? e : e.path), ['f0', 'f1', 'gap', 'f2', 'gap', 'f3'])
    assert.ok(blocks.done)

    // The writer goes away: the read stops where the blocks stop, without an error.
    await drive.putEntry('/late', { metadata: {} })
    // update() can resolve before the writer's new length has come (once in make test: the read
    // below then had nothing to read): asked again until it has.
    await replicaLength(remote.core, 6)
    cut()
    const stuck = new DriveBlocks(remote.core, 5, remote.version, { waitMs: 200 })
    assert.deepEqual(await read(stuck), ['gap'])
    assert.equal(stuck.done, false)
    assert.equal(stuck.next, 5)
  })
})
