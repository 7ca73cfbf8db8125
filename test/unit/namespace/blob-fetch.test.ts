import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { readdir, stat } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import Hyperblobs from 'hyperblobs'
import { ContentMismatchError, fetchBlob, SupersededError } from '../../../src/namespace/blob-fetch.js'
import { FolderWriter } from '../../../src/namespace/apply.js'
import { FolderIndex } from '../../../src/namespace/index.js'
import { tmpDir } from '../../helpers/tmp.js'
import { link, twoStores } from '../../helpers/stores.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

/** A writer core holding one blob of `data` in `blockSize` blocks, and a replica of it linked by a pipe. */
async function replicated (data: Buffer, blockSize: number): Promise<{ id: import('hyperblobs').BlobId, remote: import('hypercore').default }> {
  const encryptionKey = randomBytes(32)
  const [sa, sb] = await twoStores()
  const core = sa.get({ name: 'blobs', encryptionKey })
  await core.ready()
  const blobs = new Hyperblobs(core)
  const ws = blobs.createWriteStream()
  for (let i = 0; i < data.length; i += blockSize) ws.write(data.subarray(i, i + blockSize))
  await new Promise<void>((resolve, reject) => { ws.once('error', reject); ws.once('close', resolve); ws.end() })
  const remote = sb.get({ key: core.key ?? undefined, encryptionKey })
  await remote.ready()
  link(sa, sb)
  return { id: ws.id, remote }
}

describe('blob fetch', function () {
  this.timeout(30_000)

  it('fetches a many-block blob from a peer, in order, and checks its hash', async () => {
    const data = randomBytes(5 * 65536 + 123) // a short last block
    const { id, remote } = await replicated(data, 65536)
    const parts: Buffer[] = []
    for await (const b of fetchBlob(remote, id, { hash: sha(data), timeout: 10_000 })) parts.push(b)
    assert.ok(Buffer.concat(parts).equals(data))
    assert.equal(remote.contiguousLength, id.blockOffset + id.blockLength)
  })

  it('a wrong hash fails the stream, and the writer leaves neither the file nor its temp file', async () => {
    const data = randomBytes(3 * 65536)
    const { id, remote } = await replicated(data, 65536)
    const dir = await tmpDir()
    const writer = new FolderWriter(dir, new FolderIndex(join(await tmpDir(), 'index.json')), null)
    const wrong = sha(Buffer.from('something else'))
    await assert.rejects(
      writer.writeFile('f.bin', Readable.from(fetchBlob(remote, id, { hash: wrong, timeout: 10_000 })), 0o644, Date.now(), wrong, { w: 'peer', c: 1 }),
      (err: unknown) => err instanceof ContentMismatchError)
    assert.deepEqual(await readdir(dir), [])
    assert.equal(await stat(join(dir, 'f.bin')).catch(() => null), null)
  })

  it('a blob whose blocks hold another length than its entry says: superseded if its entry was replaced, an error if not', async () => {
    // A writer stopped during an upload appends the file again from where its core ends: the first
    // entry's id then spans blocks of another length (publish.ts, faults-kill).
    const data = randomBytes(3 * 65536)
    const { id, remote } = await replicated(data, 65536)
    const promised = { ...id, byteLength: id.byteLength + 1000 }
    const drain = async (superseded: () => Promise<boolean>): Promise<void> => { for await (const _ of fetchBlob(remote, promised, { hash: '', timeout: 10_000, superseded })) { /* read */ } }
    await assert.rejects(drain(async () => true), (err: unknown) => err instanceof SupersededError)
    await assert.rejects(drain(async () => false), /blob is 196608 bytes, its entry says 197608/)
  })

  it('gives up on a block no peer has after the timeout', async () => {
    const data = randomBytes(2 * 65536)
    const { id, remote } = await replicated(data, 65536)
    const beyond = { ...id, blockOffset: id.blockOffset + id.blockLength, byteOffset: id.byteLength }
    await assert.rejects(async () => { for await (const _ of fetchBlob(remote, beyond, { hash: '', timeout: 300 })) { /* nothing arrives */ } })
  })

  it('stops waiting for a block once the entry it belongs to is superseded, not after the timeout', async () => {
    const data = randomBytes(2 * 65536)
    const { id, remote } = await replicated(data, 65536)
    const beyond = { ...id, blockOffset: id.blockOffset + id.blockLength, byteOffset: id.byteLength }
    let asked = 0
    const t0 = Date.now()
    await assert.rejects(async () => {
      for await (const _ of fetchBlob(remote, beyond, { hash: '', timeout: 60_000, superseded: async () => ++asked >= 2 })) { /* nothing arrives */ }
    }, (err: unknown) => err instanceof SupersededError)
    const s = (Date.now() - t0) / 1000
    // The blob's two blocks are awaited at once, each asking after its own 2 s slice: the second
    // ask can come from either, at ~2 s or ~4 s; never after the 60 s timeout.
    assert.ok(asked >= 2)
    assert.ok(s > 1.5 && s < 20, `gave up after ${s} s (asked every 2 s per block)`)
  })

  it('still wanted: waits out the whole timeout, asking between slices', async () => {
    const data = randomBytes(2 * 65536)
    const { id, remote } = await replicated(data, 65536)
    const beyond = { ...id, blockOffset: id.blockOffset + id.blockLength, byteOffset: id.byteLength }
    let asked = 0
    await assert.rejects(async () => {
      for await (const _ of fetchBlob(remote, beyond, { hash: '', timeout: 4500, superseded: async () => { asked++; return false } })) { /* nothing arrives */ }
    }, (err: unknown) => (err as { code?: string }).code === 'REQUEST_TIMEOUT')
    assert.ok(asked >= 2, `asked ${asked} times`)
  })
})
