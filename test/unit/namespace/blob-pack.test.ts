import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { mkdir, readFile, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Hyperdrive from 'hyperdrive'
import { FolderWriter } from '../../../src/namespace/apply.js'
import { BlobBatch, PACK_BLOCK } from '../../../src/namespace/blob-pack.js'
import { writerId, type EntryMeta } from '../../../src/namespace/entry.js'
import { Hlc } from '../../../src/namespace/hlc.js'
import { FolderIndex } from '../../../src/namespace/index.js'
import { Merger } from '../../../src/namespace/merge.js'
import { publish } from '../../../src/namespace/publish.js'
import { scan } from '../../../src/namespace/scanner.js'
import { silentLogger as log } from '../../../src/log.js'
import { link, twoStores } from '../../helpers/stores.js'
import { onTeardown, tmpDir } from '../../helpers/tmp.js'

describe('blob packing', function () {
  this.timeout(30_000)

  it('packs small blobs many to a block, gives larger ones blocks of their own, in one append', async () => {
    const [store] = await twoStores()
    const core = store.get({ name: 'blobs' })
    await core.ready()
    await core.append(Buffer.from('earlier'))
    const batch = new BlobBatch(core)
    const small = Array.from({ length: 40 }, () => randomBytes(4096))
    const large = randomBytes(PACK_BLOCK * 2 + 10)
    const refs = [...small.slice(0, 20).map((b) => batch.put(b)), batch.put(large), ...small.slice(20).map((b) => batch.put(b))]
    assert.equal(core.length, 1, 'nothing appended before flush')
    await batch.flush()
    // 16 × 4 KiB fill a block: 20 files are two blocks, then the large one's three, then 20 more in two.
    assert.equal(core.length, 1 + 2 + 3 + 2)
    const bodies = [...small.slice(0, 20), large, ...small.slice(20)]
    let byteOffset = 'earlier'.length
    for (const [i, ref] of refs.entries()) {
      const body = bodies[i] as Buffer
      assert.equal(ref.id.byteOffset, byteOffset, `byte offset of ${i}`)
      byteOffset += body.length
      if (body === large) {
        assert.equal(ref.at, null)
        assert.equal(ref.id.blockLength, 3)
        continue
      }
      assert.equal(ref.id.blockLength, 1)
      const block = await core.get(ref.id.blockOffset) as Buffer
      assert.ok(block.subarray(ref.at ?? -1, (ref.at ?? 0) + body.length).equals(body), `content of ${i}`)
    }
  })

  it('a peer merges packed entries and entries written before packing (one blob per file) alike', async () => {
    const [sa, sb] = await twoStores()
    const drive = new Hyperdrive(sa.namespace('a'))
    onTeardown(async () => { await drive.close() })
    await drive.ready()
    const w = writerId(drive.key)
    // Before packing: hyperdrive's own put, one blob per file, no `p` in the metadata.
    const old = Array.from({ length: 5 }, () => randomBytes(3000))
    for (const [i, body] of old.entries()) {
      const meta: EntryMeta = { v: 1, c: i + 1, w, s: {}, k: 'file', h: sha(body), m: 0o644, t: 1_700_000_000_000, z: body.length }
      await drive.put(`/old/f${i}`, body, { metadata: meta })
    }
    // Now: published from a folder, packed.
    const src = await tmpDir()
    await mkdir(join(src, 'new'))
    const fresh = Array.from({ length: 30 }, () => randomBytes(3000))
    await Promise.all(fresh.map(async (b, i) => { await writeFile(join(src, 'new', `f${i}`), b) }))
    const srcIndex = new FolderIndex(join(await tmpDir(), 'index.json'))
    const hlc = new Hlc()
    hlc.observe(100)
    await publish({ drive, writer: new FolderWriter(src, srcIndex, null), index: srcIndex, hlc, w, seen: () => ({}), log }, await scan(src, srcIndex))
    const blobs = await drive.getBlobs()
    assert.ok((blobs?.core.length ?? 0) < 5 + 30 / 4, `packed: ${blobs?.core.length ?? 0} blob blocks`)

    const remote = new Hyperdrive(sb.namespace('b'), drive.key)
    onTeardown(async () => { await remote.close() })
    await remote.ready()
    link(sa, sb)
    await remote.core.update({ wait: true })
    while (remote.version < drive.version) await new Promise((resolve) => setTimeout(resolve, 20))
    const dst = await tmpDir()
    const index = new FolderIndex(join(await tmpDir(), 'index.json'))
    const merger = new Merger({ writer: new FolderWriter(dst, index, null), index, hlc: new Hlc(), state: { checkpoints: {}, seen: {} }, own: null, readOnly: false, log })
    const out = await merger.run([{ w, key: drive.key.toString('hex'), drive: remote }])
    assert.equal(out.committed, true)
    assert.equal(out.incomplete, false)
    for (const [i, body] of old.entries()) assert.ok((await readFile(join(dst, 'old', `f${i}`))).equals(body), `old/f${i}`)
    for (const [i, body] of fresh.entries()) assert.ok((await readFile(join(dst, 'new', `f${i}`))).equals(body), `new/f${i}`)
  })
})

function sha (b: Buffer): string {
  return createHash('sha256').update(b).digest('hex')
}
