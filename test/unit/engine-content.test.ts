import assert from 'node:assert/strict'
import { createHash, randomBytes } from 'node:crypto'
import { EventEmitter } from 'node:events'
import { readdir, stat, truncate, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import c from 'compact-encoding'
import Hyperblobs from 'hyperblobs'
import SecretStream from '@hyperswarm/secret-stream'
import { ContentPeers, TransferError, type OfferFn } from '../../src/engine/content.js'
import { dataEncoding, MAX_CHUNK, MAX_PATH, requestEncoding } from '../../src/engine/content-wire.js'
import type { Connection, ConnectionSource } from '../../src/engine/peers.js'
import { FolderWriter } from '../../src/namespace/apply.js'
import { ContentMismatchError, fetchBlob } from '../../src/namespace/blob-fetch.js'
import { FolderIndex } from '../../src/namespace/index.js'
import { wholeBlocks } from '../../src/namespace/publish.js'
import { silentLogger as log } from '../../src/log.js'
import { deriveFromReadWrite, parseSecret, readOnlySecret, type NamespaceKeys } from '../../src/secrets.js'
import { onTeardown, tmpDir } from '../helpers/tmp.js'
import { link, twoStores } from '../helpers/stores.js'

const sha = (b: Buffer): string => createHash('sha256').update(b).digest('hex')

class OneConnection extends EventEmitter implements ConnectionSource {
  constructor (readonly conn: Connection) { super() }
  connections (): Iterable<Connection> { return [this.conn] }
}

/** Two ContentPeers joined by an in-memory Noise stream; `serve` is B's offer. */
async function pair (keysA: NamespaceKeys, keysB: NamespaceKeys, serve: OfferFn | null): Promise<{ a: ContentPeers, b: ContentPeers, bKey: Buffer, sa: SecretStream, sb: SecretStream }> {
  const sa = new SecretStream(true, null)
  const sb = new SecretStream(false, null)
  sa.rawStream.pipe(sb.rawStream).pipe(sa.rawStream)
  sa.on('error', () => {})
  sb.on('error', () => {})
  onTeardown(() => { sa.destroy(); sb.destroy() })
  await Promise.all([sa.opened, sb.opened])
  const a = new ContentPeers(new OneConnection(sa as unknown as Connection), keysA, null, log.extend('a'))
  const b = new ContentPeers(new OneConnection(sb as unknown as Connection), keysB, serve, log.extend('b'))
  a.attach()
  b.attach()
  onTeardown(() => { a.detach(); b.detach() })
  const bKey = sa.remotePublicKey as Buffer
  for (let i = 0; i < 100 && !a.has(bKey); i++) await new Promise((resolve) => setImmediate(resolve))
  return { a, b, bKey, sa, sb }
}

/** An offer of `data` at path 'f.bin', from a file in a temp dir. */
async function offerOf (data: Buffer): Promise<OfferFn> {
  const dir = await tmpDir()
  const abs = join(dir, 'f.bin')
  await writeFile(abs, data)
  return async (path, hash) => path === 'f.bin' && hash === sha(data) ? { abs, size: data.length, unchanged: async () => true } : null
}

async function collect (it: AsyncIterable<Buffer>): Promise<Buffer> {
  const parts: Buffer[] = []
  for await (const b of it) parts.push(b)
  return Buffer.concat(parts)
}

describe('engine/content (direct file transfer)', function () {
  this.timeout(30_000)
  const keys = deriveFromReadWrite(randomBytes(32))

  it('streams a file larger than the credit window, byte-identical', async () => {
    const data = randomBytes(20 * MAX_CHUNK + 12345)
    const { a, bKey } = await pair(keys, keys, await offerOf(data))
    assert.equal(a.has(bKey), true)
    const got = await collect(a.fetch(bKey, 'f.bin', sha(data), data.length, 5000))
    assert.ok(got.equals(data))
  })

  it('a file that gets shorter while it is served ends the transfer as CHANGED (the sender reads ahead)', async () => {
    const data = randomBytes(40 * MAX_CHUNK) // more than the credit window: the sender must read past the cut
    const dir = await tmpDir()
    const abs = join(dir, 'f.bin')
    await writeFile(abs, data)
    const offer: OfferFn = async () => ({ abs, size: data.length, unchanged: async () => true })
    const { a, bKey } = await pair(keys, keys, offer)
    let got = 0
    await assert.rejects((async () => {
      for await (const b of a.fetch(bKey, 'f.bin', sha(data), data.length, 5000)) {
        if (got === 0) await truncate(abs, 3 * MAX_CHUNK)
        got += b.length
      }
    })(), /CHANGED/)
    assert.ok(got < data.length, `${got} bytes came`)
  })

  it('a peer that does not hold that content says so', async () => {
    const data = randomBytes(1000)
    const { a, bKey } = await pair(keys, keys, await offerOf(data))
    await assert.rejects(collect(a.fetch(bKey, 'f.bin', sha(Buffer.from('other')), 1000, 5000)), TransferError)
    await assert.rejects(collect(a.fetch(bKey, 'g.bin', sha(data), 1000, 5000)), TransferError)
  })

  it('opens only between holders of the read key: not with another namespace, never on a blind node', async () => {
    const other = await pair(keys, deriveFromReadWrite(randomBytes(32)), await offerOf(randomBytes(10)))
    assert.equal(other.a.has(other.bKey), false)
    const ro = await pair(keys, await parseSecret(readOnlySecret(keys) ?? ''), await offerOf(randomBytes(10)))
    assert.equal(ro.a.has(ro.bKey), true, 'a read-only node can read: it may ask')
    const blind = new ContentPeers(new OneConnection(ro.sa as unknown as Connection), { ...keys, readKey: null }, null, log)
    blind.attach()
    assert.equal(blind.has(ro.bKey), false)
  })

  it('a transfer cut mid-way fails; the blob core supplies the rest, and the file is whole', async () => {
    const data = randomBytes(12 * MAX_CHUNK + 7)
    const { a, bKey, sa } = await pair(keys, keys, await offerOf(data))
    const { id, remote } = await blobCore(data)
    let cutAt = -1
    let got = 0
    const direct = {
      open: () => (async function * () {
        for await (const chunk of a.fetch(bKey, 'f.bin', sha(data), data.length, 5000)) {
          got += chunk.length
          if (got >= 3 * MAX_CHUNK) sa.destroy() // the link drops
          yield chunk
        }
      })(),
      stopped: (bytes: number) => { cutAt = bytes }
    }
    const out = await collect(fetchBlob(remote, id, { hash: sha(data), timeout: 5000, direct }))
    assert.ok(cutAt >= 3 * MAX_CHUNK && cutAt < data.length, `cut at ${cutAt}`)
    assert.ok(out.equals(data))
  })

  it('wrong bytes from a peer never land, and that content is not asked for directly again', async () => {
    const data = randomBytes(6 * MAX_CHUNK)
    const garbage = randomBytes(data.length)
    const { a, bKey } = await pair(keys, keys, async (_p, _h) => {
      const dir = await tmpDir()
      await writeFile(join(dir, 'g'), garbage)
      return { abs: join(dir, 'g'), size: garbage.length, unchanged: async () => true }
    })
    const { id, remote } = await blobCore(data)
    let refused = false
    const direct = { open: () => a.fetch(bKey, 'f.bin', sha(data), data.length, 5000), mismatch: () => { refused = true } }
    const dir = await tmpDir()
    const writer = new FolderWriter(dir, new FolderIndex(join(await tmpDir(), 'index.json')), null)
    await assert.rejects(
      writer.writeFile('f.bin', Readable.from(fetchBlob(remote, id, { hash: sha(data), timeout: 5000, direct })), 0o644, Date.now(), sha(data), { w: 'p', c: 1 }),
      (err: unknown) => err instanceof ContentMismatchError)
    assert.equal(refused, true)
    assert.deepEqual(await readdir(dir), [], 'neither the file nor a temp file')
    assert.equal(await stat(join(dir, 'f.bin')).catch(() => null), null)
  })

  it('bounds every length it reads from the wire', () => {
    const big = c.encode(dataEncoding, { id: 1, bytes: Buffer.alloc(MAX_CHUNK + 1) })
    assert.throws(() => c.decode(dataEncoding, big), /too large/)
    const ok = c.encode(dataEncoding, { id: 1, bytes: Buffer.alloc(MAX_CHUNK) })
    assert.equal(c.decode(dataEncoding, ok).bytes.length, MAX_CHUNK)
    const long = c.encode(requestEncoding, { id: 1, path: 'x'.repeat(MAX_PATH + 1), hash: Buffer.alloc(32), size: 1, window: 1 })
    assert.throws(() => c.decode(requestEncoding, long), /too long/)
  })

  it('wholeBlocks re-cuts any chunking into whole blocks', async () => {
    const data = randomBytes(10_000)
    const cuts = [1, 999, 3000, 1, 5999]
    const src = (async function * () { let at = 0; for (const n of cuts) { yield data.subarray(at, at + n); at += n } })()
    const out: Buffer[] = []
    for await (const b of wholeBlocks(src, 4096)) out.push(b)
    assert.deepEqual(out.map((b) => b.length), [4096, 4096, 1808])
    assert.ok(Buffer.concat(out).equals(data))
  })
})

/** `data` as a blob in a core, and a replica of that core linked by a pipe (the fallback path). */
async function blobCore (data: Buffer): Promise<{ id: import('hyperblobs').BlobId, remote: import('hypercore').default }> {
  const encryptionKey = randomBytes(32)
  const [s1, s2] = await twoStores()
  const core = s1.get({ name: 'blobs', encryptionKey })
  await core.ready()
  const ws = new Hyperblobs(core).createWriteStream()
  for (let i = 0; i < data.length; i += MAX_CHUNK) ws.write(data.subarray(i, i + MAX_CHUNK))
  await new Promise<void>((resolve, reject) => { ws.once('error', reject); ws.once('close', resolve); ws.end() })
  const remote = s2.get({ key: core.key ?? undefined, encryptionKey })
  await remote.ready()
  link(s1, s2)
  return { id: ws.id, remote }
}
