// Local → drive: turns a scan result into entries of our own writer drive, in one batch per scan.
// A file is hashed only when its size is unchanged (a touch must not republish); otherwise it is
// hashed while it streams into the blob store, never buffered whole.
import { createReadStream } from 'node:fs'
import { createHash } from 'node:crypto'
import type Hyperdrive from 'hyperdrive'
import type { BlobId } from 'hyperblobs'
import { pipeline } from 'node:stream/promises'
import type { Logger } from '../log.js'
import type { Hlc } from './hlc.js'
import type { FolderIndex, IndexEntry } from './index.js'
import { drivePath, toCandidate, type EntryMeta } from './entry.js'
import { EMPTY_HASH, hashFile, statEntry, statMatches, type DiskEntry, type ScanResult } from './scanner.js'
import type { FolderWriter } from './apply.js'

export interface PublishContext {
  drive: Hyperdrive
  writer: FolderWriter
  index: FolderIndex
  hlc: Hlc
  /** Our writer id. */
  w: string
  /** What we have applied so far (writer id → clock): every entry we write carries it. */
  seen: () => Record<string, number>
  log: Logger
}

export interface PublishResult {
  published: number
  bytes: number
  /** Paths that changed while being read: scan them again. */
  retry: string[]
}

/** `reuseFrom`: paths being deleted whose blobs a new path with the same content may take over (a rename). */
export async function publish (ctx: PublishContext, scan: ScanResult, reuseFrom: string[] = scan.removed): Promise<PublishResult> {
  const { drive, index, writer } = ctx
  const blobs = await drive.getBlobs()
  if (blobs === null) throw new Error('writer drive has no blob store')
  const batch = drive.batch()
  const done: Array<{ path: string, hash: string, c: number, d?: DiskEntry }> = []
  const retry: string[] = []
  let bytes = 0
  const seen = ctx.seen()
  const reuse = await reusableBlobs(drive, index, reuseFrom)
  try {
    for (const [path, d] of scan.changed) {
      const known = index.get(path)
      let hash = d.kind === 'link' ? (d.target ?? '') : ''
      let blob: BlobId | null = null
      if (d.kind === 'file') {
        const abs = writer.abs(path)
        if (known !== undefined && known.ver !== null && known.kind === 'file' && known.size === d.size && known.mode === d.mode) {
          hash = await hashFile(abs)
          if (hash === known.hash) { // touched, not changed: remember the new stat, publish nothing
            await writer.record(path, hash, known.ver, d)
            continue
          }
        }
        if (d.size === 0) hash = EMPTY_HASH
        else {
          if (hash === '' && reuse.size > 0) hash = await hashFile(abs) // maybe a rename: look for the blob
          const reused = hash !== '' ? reuse.get(hash) : undefined
          if (reused !== undefined) blob = reused
          else {
            const up = await upload(blobs.createWriteStream(), abs)
            hash = up.hash
            blob = up.blob
            bytes += up.size
          }
        }
        const after = await statEntry(abs)
        if (after === null || !sameStat(after, d)) { retry.push(path); continue }
      }
      const c = ctx.hlc.tick()
      const meta: EntryMeta = { v: 1, c, w: ctx.w, s: seen, k: d.kind, h: hash, m: d.mode, t: d.mtimeMs, z: d.size }
      await batch.putEntry(drivePath(path), { executable: (d.mode & 0o111) !== 0, linkname: d.kind === 'link' ? hash : null, blob, metadata: meta })
      done.push({ path, hash, c, d })
    }
    for (const path of scan.removed) {
      const c = ctx.hlc.tick()
      const meta: EntryMeta = { v: 1, c, w: ctx.w, s: seen, k: 'tomb', h: '', m: 0, t: Date.now(), z: 0 }
      await batch.putEntry(drivePath(path), { executable: false, linkname: null, blob: null, metadata: meta })
      done.push({ path, hash: '', c })
    }
    await batch.flush()
  } catch (err) {
    await batch.close().catch(() => {})
    throw err
  }
  const removed = new Set(scan.removed)
  for (const { path, hash, c, d } of done) {
    if (removed.has(path)) index.delete(path)
    // The stat the content was read at, not a fresh one: a file written again between the read and
    // now (seen: created empty, then filled) must differ from the index, or the next scan would
    // take the new content for the published one and it would never reach the peers.
    else await writer.record(path, hash, { w: ctx.w, c }, d)
  }
  if (done.length > 0) ctx.log.info(`published ${done.length} entries (${bytes} bytes)`)
  return { published: done.length, bytes, retry }
}

/** Blobs of our own entries for removed paths, by hash: a rename republishes without re-uploading. */
async function reusableBlobs (drive: Hyperdrive, index: FolderIndex, removed: string[]): Promise<Map<string, BlobId>> {
  const out = new Map<string, BlobId>()
  for (const path of removed) {
    const known: IndexEntry | undefined = index.get(path)
    if (known?.kind !== 'file' || known.hash === '' || out.has(known.hash)) continue
    const cand = toCandidate(await drive.entry(drivePath(path), { wait: false }).catch(() => null))
    if (cand?.k === 'file' && cand.h === known.hash && cand.blob !== null) out.set(known.hash, cand.blob)
  }
  return out
}

async function upload (ws: import('hyperblobs').BlobWriteStream, abs: string): Promise<{ blob: BlobId, hash: string, size: number }> {
  const h = createHash('sha256')
  let size = 0
  await pipeline(createReadStream(abs, { highWaterMark: 1 << 20 }), async function * (src: AsyncIterable<Buffer>) {
    for await (const chunk of src) {
      h.update(chunk)
      size += chunk.length
      yield chunk
    }
  }, ws)
  return { blob: ws.id, hash: h.digest('hex'), size }
}

function sameStat (a: DiskEntry, b: DiskEntry): boolean {
  return statMatches({ kind: b.kind, size: b.size, mtimeMs: b.mtimeMs, mode: b.mode, ino: b.ino, hash: b.target ?? '', ver: null }, a)
}
