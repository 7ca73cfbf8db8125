import assert from 'node:assert/strict'
import { randomBytes } from 'node:crypto'
import { mkdir, rename, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import Corestore from 'corestore'
import Hyperdrive from 'hyperdrive'
import { FolderWriter } from '../../../src/namespace/apply.js'
import { fetchBlob } from '../../../src/namespace/blob-fetch.js'
import { toCandidate } from '../../../src/namespace/entry.js'
import { Hlc } from '../../../src/namespace/hlc.js'
import { FolderIndex } from '../../../src/namespace/index.js'
import { publish, type PublishContext } from '../../../src/namespace/publish.js'
import { scan } from '../../../src/namespace/scanner.js'
import { silentLogger as log } from '../../../src/log.js'
import { onTeardown, tmpDir } from '../../helpers/tmp.js'

async function setUp (): Promise<{ ctx: PublishContext, dir: string }> {
  const store = new Corestore(await tmpDir())
  const drive = new Hyperdrive(store)
  onTeardown(async () => { await drive.close() })
  await drive.ready()
  const dir = await tmpDir()
  await mkdir(join(dir, 'd'))
  const index = new FolderIndex(join(await tmpDir(), 'index.json'))
  const writer = new FolderWriter(dir, index, null)
  return { dir, ctx: { drive, writer, index, hlc: new Hlc(), w: 'me', seen: () => ({}), log } }
}

/** A file's content as the merge reads it (packed files are a slice of their block). */
async function content (drive: Hyperdrive, path: string): Promise<Buffer> {
  const cand = toCandidate(await drive.entry('/' + path))
  const blobs = await drive.getBlobs()
  if (cand?.blob === null || cand === null || blobs === null) throw new Error(`no content for ${path}`)
  const parts: Buffer[] = []
  for await (const b of fetchBlob(blobs.core, cand.blob, { hash: cand.h, timeout: 5000, at: cand.at })) parts.push(b)
  return Buffer.concat(parts)
}

describe('publish: small files', function () {
  this.timeout(20_000)

  it('packs many small files into a few blob blocks, and a renamed one takes over its blob without a new append', async () => {
    const { ctx, dir } = await setUp()
    const bodies = Array.from({ length: 40 }, () => randomBytes(3000))
    await Promise.all(bodies.map(async (b, i) => { await writeFile(join(dir, 'd', `f${i}`), b) }))
    const first = await publish(ctx, await scan(dir, ctx.index))
    assert.equal(first.published, 41) // the directory and its 40 files
    assert.equal(first.bytes, 40 * 3000)
    for (const [i, b] of bodies.entries()) assert.ok((await content(ctx.drive, `d/f${i}`)).equals(b), `f${i}`)
    const blobs = await ctx.drive.getBlobs()
    const length = blobs?.core.length
    assert.ok((length ?? 0) <= 3, `40 × 3,000 bytes packed into ${length ?? 0} blocks`)
    await rename(join(dir, 'd', 'f7'), join(dir, 'd', 'g7'))
    const second = await publish(ctx, await scan(dir, ctx.index))
    assert.equal(second.published, 2) // g7, and f7's tombstone
    assert.equal(second.bytes, 0, 'nothing uploaded')
    assert.equal(blobs?.core.length, length, 'nothing appended')
    assert.ok((await content(ctx.drive, 'd/g7')).equals(bodies[7] as Buffer))
  })
})
