// Local → drive: turns a scan result into entries of our own writer drive, in one batch per scan.
// A file is hashed only when its size is unchanged (a touch must not republish); otherwise it is
// hashed while it streams into the blob store, never buffered whole.
import { createReadStream } from 'node:fs'
import { createHash } from 'node:crypto'
import type Hyperdrive from 'hyperdrive'
import type { DriveEntryValue } from 'hyperdrive'
import type { BlobId } from 'hyperblobs'
import { pipeline } from 'node:stream/promises'
import type { Logger } from '../log.js'
import type { Hlc } from './hlc.js'
import type { FolderIndex, IndexEntry } from './index.js'
import { drivePath, toCandidate, type EntryMeta } from './entry.js'
import { EMPTY_HASH, hashFile, sha256Hex, statEntry, statMatches, type DiskEntry, type ScanResult } from './scanner.js'
import type { FolderWriter } from './apply.js'
import { BlobBatch, type BlobRef } from './blob-pack.js'
import { fsBatch } from './fs-batch.js'
import { forgetSummaries, putEntries } from './batch-summary.js'

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
  /** The entries of large files are in the drive, their blobs not yet: announce the new head. */
  onPublished?: () => void
  /** Large files whose entries are out and whose blobs are being stored: the content channel serves them. */
  uploading?: Map<string, { hash: string, stat: DiskEntry }>
  /** Awaited between the blocks of an upload: a direct transfer to a peer goes first (it is what the peer waits for). */
  serving?: () => Promise<void>
}

/** A large file whose entry is published before its blob is stored. */
interface Upload { path: string, hash: string, stat: DiskEntry, blob: BlobId, c: number }

export interface PublishResult {
  published: number
  bytes: number
  /** Paths that changed while being read: scan them again. */
  retry: string[]
  /** Large files still being written: scan them again once they have been quiet for a while. */
  later: string[]
}

/** A file this large that changed less than QUIET_MS ago is probably still being written. */
export const LARGE_FILE = 4 << 20
export const QUIET_MS = 300
/** While uploading, check this often (bytes) that the file is not being rewritten under us. */
const RECHECK_EVERY = 16 << 20
/** Files up to this size are read whole and appended together through a blob batch… */
const SMALL_FILE = 256 << 10
/** …flushed every this many bytes. */
const BLOB_BATCH_BYTES = 8 << 20

/**
 * `reuseFrom`: paths being deleted whose blobs a new path with the same content may take over (a
 * rename), or those blobs already looked up (reusableBlobs) when one scan is published in slices.
 */
export async function publish (ctx: PublishContext, scan: ScanResult, reuseFrom: string[] | ReadonlyMap<string, BlobRef> = scan.removed): Promise<PublishResult> {
  const { drive, index, writer } = ctx
  const blobs = await drive.getBlobs()
  if (blobs === null) throw new Error('writer drive has no blob store')
  const batch = drive.batch()
  const done: Array<{ path: string, hash: string, c: number, stat: DiskEntry }> = []
  const uploads: Upload[] = []
  /** The batch's entries, put together at the end: drive path and value. */
  const entries: Array<[string, Partial<DriveEntryValue>]> = []
  const retry: string[] = []
  const later: string[] = []
  let bytes = 0
  const seen = ctx.seen()
  const reuse = Array.isArray(reuseFrom) ? await reusableBlobs(drive, index, reuseFrom) : reuseFrom as ReadonlyMap<string, BlobRef>
  // Small files' content, packed many to a block (blob-pack.ts).
  const small = new BlobBatch(blobs.core)
  let smallBytes = 0
  const flushSmall = async (): Promise<number> => { await small.flush(); return 0 }
  // Small files are read (and stat'ed again) a window ahead of the loop: one file at a time, the
  // loop waited on each file system call in turn (measured: 1.5 ms a file on the busy 2-core box).
  const ahead = new ReadAhead(scan.changed, (d) => d.kind === 'file' && d.size > 0 && d.size <= SMALL_FILE, writer)
  try {
    for (const [i, [path, d]] of scan.changed.entries()) {
      const known = index.get(path)
      let hash = d.kind === 'link' ? (d.target ?? '') : ''
      let blob: BlobRef | null = null
      if (d.kind === 'file') {
        const abs = writer.abs(path)
        // Uploading a large file that is still being written wastes the upload (and appends it to
        // the drive for good): wait until it has been quiet for a moment.
        if (d.size >= LARGE_FILE && Date.now() - d.mtimeMs < QUIET_MS) { later.push(path); continue }
        const read = ahead.take(i)
        if (read !== null) {
          const { buf, after } = await read
          hash = sha256Hex(buf)
          if (known !== undefined && known.ver !== null && known.kind === 'file' && known.size === d.size && known.mode === d.mode && hash === known.hash) {
            await writer.record(path, hash, known.ver, d) // touched, not changed
            continue
          }
          if (after === null || !sameStat(after, d) || buf.length !== d.size) { retry.push(path); continue }
          // A rename takes over the removed path's blob; anything else goes into the blob batch:
          // one append for many files, not one each.
          blob = reuse.get(hash) ?? null
          if (blob === null) {
            blob = small.put(buf)
            bytes += buf.length
            smallBytes += buf.length
            if (smallBytes >= BLOB_BATCH_BYTES) smallBytes = await flushSmall()
          }
        } else if (known !== undefined && known.ver !== null && known.kind === 'file' && known.size === d.size && known.mode === d.mode) {
          hash = await hashFile(abs)
          if (hash === known.hash) { // touched, not changed: remember the new stat, publish nothing
            await writer.record(path, hash, known.ver, d)
            continue
          }
        }
        if (read !== null) { /* read ahead, checked and stored above */ } else if (d.size === 0) hash = EMPTY_HASH
        else {
          // Larger than SMALL_FILE: a rename reuses the blob, anything else is uploaded.
          if (hash === '' && reuse.size > 0) hash = await hashFile(abs) // maybe a rename: look for the blob
          const reused = hash !== '' ? reuse.get(hash) : undefined
          if (reused !== undefined) blob = reused
          else {
            // Published before its blob is stored (below, after the batch): peers start fetching
            // while we upload. The hash comes first, as the entry carries it.
            if (hash === '') hash = await hashFile(abs)
            const after = await statEntry(abs)
            if (after === null || !sameStat(after, d)) { retry.push(path); continue }
            uploads.push({ path, hash, stat: d, blob: NO_BLOB, c: 0 })
            continue
          }
        }
        if (read === null) {
          const after = await statEntry(abs)
          if (after === null || !sameStat(after, d)) { retry.push(path); continue }
        }
      }
      const c = ctx.hlc.tick()
      const meta: EntryMeta = { v: 1, c, w: ctx.w, s: seen, k: d.kind, h: hash, m: d.mode, t: d.mtimeMs, z: d.size }
      if (blob !== null && blob.at !== null) meta.p = blob.at
      entries.push([drivePath(path), { executable: (d.mode & 0o111) !== 0, linkname: d.kind === 'link' ? hash : null, blob: blob?.id ?? null, metadata: meta }])
      done.push({ path, hash, c, stat: d })
    }
    for (const path of scan.removed) {
      const c = ctx.hlc.tick()
      const meta: EntryMeta = { v: 1, c, w: ctx.w, s: seen, k: 'tomb', h: '', m: 0, t: Date.now(), z: 0 }
      entries.push([drivePath(path), { executable: false, linkname: null, blob: null, metadata: meta }])
      done.push({ path, hash: '', c, stat: TOMBSTONE_STAT })
    }
    await flushSmall()
    // The large files' blobs will be appended one after another from the blob core's current end,
    // in 1 MiB blocks: their ids are known now, and their entries go out with this batch.
    let at = { block: blobs.core.length, byte: blobs.core.byteLength }
    for (const up of uploads) {
      up.blob = { blockOffset: at.block, blockLength: Math.ceil(up.stat.size / UPLOAD_BLOCK), byteOffset: at.byte, byteLength: up.stat.size }
      at = { block: at.block + up.blob.blockLength, byte: at.byte + up.stat.size }
      const c = ctx.hlc.tick()
      const meta: EntryMeta = { v: 1, c, w: ctx.w, s: seen, k: 'file', h: up.hash, m: up.stat.mode, t: up.stat.mtimeMs, z: up.stat.size }
      entries.push([drivePath(up.path), { executable: (up.stat.mode & 0o111) !== 0, linkname: null, blob: up.blob, metadata: meta }])
      up.c = c
      ctx.uploading?.set(up.path, { hash: up.hash, stat: up.stat })
    }
    // All entries at the end, after their summary (batch-summary.ts): a peer gets them in one block.
    const summarised = await putEntries(batch, entries, () => { ctx.log.warn('a batch summary does not match its blocks (a put appended no block): peers read the blocks one by one') })
    await batch.flush()
    // Only a summary's put reads the previous summary into the cache: other publishes leave it be.
    if (summarised) forgetSummaries(drive.db)
  } catch (err) {
    await ahead.drain()
    await batch.close().catch(() => {})
    for (const up of uploads) ctx.uploading?.delete(up.path)
    throw err
  }
  // In the index at once, so that a delete during the upload becomes a tombstone; with a mode no
  // file has, so that any scan before the upload is done (a crash, a change) publishes it again.
  for (const up of uploads) await writer.record(up.path, up.hash, { w: ctx.w, c: up.c }, { ...up.stat, mode: UPLOADING_MODE })
  if (uploads.length > 0) ctx.onPublished?.()
  // Now the blobs those entries promised. A file that changed meanwhile (or an upload that did not
  // land where promised) leaves an entry whose content no peer will accept (the hash is checked):
  // it is scanned again and republished, which supersedes it.
  let broken = false
  try {
    for (const up of uploads) {
      const t0 = performance.now()
      const got = broken ? null : await upload(blobs.createWriteStream(), writer.abs(up.path), up.stat, ctx.serving)
      ctx.uploading?.delete(up.path)
      if (got === null || got.hash !== up.hash || !sameBlob(got.blob, up.blob)) {
        broken = true // later blobs would not land where promised either
        retry.push(up.path)
        continue
      }
      ctx.log.debug(`uploaded ${up.path}: ${mib(got.size)} MiB in ${seconds(t0)} s (read, hash, encrypt, store)`)
      bytes += got.size
      done.push({ path: up.path, hash: up.hash, c: up.c, stat: up.stat })
    }
  } finally {
    for (const up of uploads) ctx.uploading?.delete(up.path)
  }
  const removed = new Set(scan.removed)
  for (const { path, hash, c, stat } of done) {
    if (removed.has(path)) index.delete(path)
    // The stat that was hashed (and checked unchanged after): a write since then must still look
    // like a change to the next scan.
    else await writer.record(path, hash, { w: ctx.w, c }, stat)
  }
  if (done.length > 0) ctx.log.info(`published ${done.length} entries (${bytes} bytes)`)
  return { published: done.length, bytes, retry, later }
}

/** Blobs of our own entries for removed paths, by hash: a rename republishes without re-uploading. */
export async function reusableBlobs (drive: Hyperdrive, index: FolderIndex, removed: string[]): Promise<Map<string, BlobRef>> {
  const out = new Map<string, BlobRef>()
  for (const path of removed) {
    const known: IndexEntry | undefined = index.get(path)
    if (known?.kind !== 'file' || known.hash === '' || out.has(known.hash)) continue
    const cand = toCandidate(await drive.entry(drivePath(path), { wait: false }).catch(() => null))
    if (cand?.k === 'file' && cand.h === known.hash && cand.blob !== null) out.set(known.hash, { id: cand.blob, at: cand.at })
  }
  return out
}

/** Blocks of a streamed upload: whole ones, so a blob's id is known from the file's size. */
export const UPLOAD_BLOCK = 1 << 20
/** The mode an early-published file has in the index until its blob is stored (see above). */
const UPLOADING_MODE = 0xffff // stat modes here are permission bits (≤ 0o777); the index keeps 16 bits
const NO_BLOB: BlobId = { blockOffset: 0, blockLength: 0, byteOffset: 0, byteLength: 0 }

/**
 * Streams a file into the blob store in UPLOAD_BLOCK blocks, hashing it; null if it changed under
 * us (checked every 16 MiB). `between` is awaited before each block.
 */
async function upload (ws: import('hyperblobs').BlobWriteStream, abs: string, before: DiskEntry, between?: () => Promise<void>): Promise<{ blob: BlobId, hash: string, size: number } | null> {
  const h = createHash('sha256')
  let size = 0
  let changed = false
  try {
    await pipeline(createReadStream(abs, { highWaterMark: UPLOAD_BLOCK }), async function * (src: AsyncIterable<Buffer>) {
      let next = RECHECK_EVERY
      for await (const block of wholeBlocks(src, UPLOAD_BLOCK)) {
        if (between !== undefined) await between()
        h.update(block)
        size += block.length
        if (size >= next) {
          next += RECHECK_EVERY
          const now = await statEntry(abs)
          if (now === null || !sameStat(now, before)) { changed = true; throw new Error('changed while uploading') }
        }
        yield block
      }
    }, ws)
  } catch (err) {
    if (changed) return null
    throw err
  }
  return { blob: ws.id, hash: h.digest('hex'), size }
}

/** Re-cuts a byte stream into blocks of exactly `n` bytes (the last one shorter). */
export async function * wholeBlocks (src: AsyncIterable<Buffer>, n: number): AsyncGenerator<Buffer> {
  let parts: Buffer[] = []
  let held = 0
  for await (const chunk of src) {
    let c = chunk
    while (held + c.length >= n) {
      const take = n - held
      parts.push(c.subarray(0, take))
      yield parts.length === 1 ? parts[0] as Buffer : Buffer.concat(parts, n)
      c = c.subarray(take)
      parts = []
      held = 0
    }
    if (c.length > 0) { parts.push(c); held += c.length }
  }
  if (held > 0) yield Buffer.concat(parts, held)
}

function sameBlob (a: BlobId, b: BlobId): boolean {
  return a.blockOffset === b.blockOffset && a.blockLength === b.blockLength && a.byteOffset === b.byteOffset && a.byteLength === b.byteLength
}

/**
 * Reads ahead of the publish loop, at most READ_AHEAD files at once, in the loop's order (small
 * files: at most 8 MiB held; the file system worker reads those asked for together in one batch).
 */
const READ_AHEAD = 32

type SmallRead = Promise<{ buf: Buffer, after: DiskEntry | null }>

class ReadAhead {
  readonly #items: Array<[string, DiskEntry]>
  readonly #wanted: (d: DiskEntry) => boolean
  readonly #writer: FolderWriter
  readonly #reads = new Map<number, SmallRead>()
  #next = 0

  constructor (items: Array<[string, DiskEntry]>, wanted: (d: DiskEntry) => boolean, writer: FolderWriter) {
    this.#items = items
    this.#wanted = wanted
    this.#writer = writer
    this.#fill(0)
  }

  /** The read of item `i`, null if it is not one to read (not a small file). */
  take (i: number): SmallRead | null {
    const r = this.#reads.get(i) ?? this.#read(i)
    this.#reads.delete(i)
    this.#fill(i + 1)
    return r
  }

  /** Waits for reads still in flight (after a failure: no read outlives the publish). */
  async drain (): Promise<void> {
    this.#next = this.#items.length
    await Promise.allSettled(this.#reads.values())
    this.#reads.clear()
  }

  #fill (from: number): void {
    this.#next = Math.max(this.#next, from)
    while (this.#next < this.#items.length && this.#reads.size < READ_AHEAD) {
      const i = this.#next++
      const p = this.#read(i)
      if (p !== null) this.#reads.set(i, p)
    }
  }

  #read (i: number): SmallRead | null {
    const item = this.#items[i]
    if (item === undefined || !this.#wanted(item[1])) return null
    const abs = this.#writer.abs(item[0])
    // The stat after the read: unchanged since the scan means the bytes read are the scanned file's.
    // Gone or unreadable since the scan: `after` null, so the path is scanned again.
    return fsBatch.read(abs).then(({ data, after }) => ({ buf: data, after }), () => ({ buf: Buffer.alloc(0), after: null }))
  }
}

const mib = (n: number): string => (n / 1048576).toFixed(1)
const seconds = (t0: number): string => ((performance.now() - t0) / 1000).toFixed(2)

/** Placeholder for tombstones in `done`; never recorded (removed paths leave the index). */
const TOMBSTONE_STAT: DiskEntry = { kind: 'file', size: 0, mtimeMs: 0, mode: 0, ino: 0 }

function sameStat (a: DiskEntry, b: DiskEntry): boolean {
  return statMatches({ kind: b.kind, size: b.size, mtimeMs: b.mtimeMs, mode: b.mode, ino: b.ino, hash: b.target ?? '', ver: null }, a)
}
