// Local → drive, the replica's half that watches the folder: which paths are dirty, the scan of
// just those (or everything), the mass-delete guard, and the publish into our writer drive.
import { join } from 'node:path'
import type Hyperdrive from 'hyperdrive'
import type { BlobRef } from './blob-pack.js'
import type { Logger } from '../log.js'
import type { FolderWriter } from './apply.js'
import { DeleteGuard, type GuardOptions } from './guard.js'
import type { Hlc } from './hlc.js'
import type { FolderIndex } from './index.js'
import { publish, QUIET_MS, reusableBlobs } from './publish.js'
import { fsBatch, WORKER_START_OPS } from './fs-batch.js'
import { scanPaths, type ScanResult } from './scanner.js'
import { TreeWarmup } from './tree-warmup.js'

/**
 * How many new or changed paths go into one drive batch: the first FIRST_SLICE, each next one twice
 * the last, at most PUBLISH_SLICE. Peers see a batch's entries only once it is flushed: a small
 * first one lets them start fetching and applying within a few tens of ms of a large publish, and
 * the doubling keeps the flushes few.
 */
const FIRST_SLICE = 128
const PUBLISH_SLICE = 2000

/**
 * Above this many dirty paths (and above the number of paths known), one full scan is cheaper
 * than a scan of each (scanPaths: one stat each, one pass over the index).
 */
const FULL_SCAN_ABOVE = 256

export interface LocalChangesInit {
  folder: string
  index: FolderIndex
  writer: FolderWriter
  hlc: Hlc
  log: Logger
  guard: GuardOptions
  /** Held deletions are due: run the loop. */
  onDue: () => void
  /** Large files being stored after their entries are out (path → hash, stat), for the content channel. */
  uploading?: Map<string, { hash: string, stat: import('./scanner.js').DiskEntry }>
  /** Awaited between the blocks of a large upload: resolves when no peer is being served directly. */
  serving?: () => Promise<void>
}

export interface PublishOutcome {
  published: number
  /** Why publishing stopped ('mass-delete' reasons), or null. */
  paused: string | null
}

export class LocalChanges {
  readonly #i: LocalChangesInit
  readonly #guard: DeleteGuard
  readonly #dirty = new Set<string>()
  #full = false
  /** When a path was last marked (the watcher, the NFS server): when the latest change was seen. */
  #markedAt = 0
  #confirmed = false
  readonly #waiting = new Set<string>()
  #laterTimer: NodeJS.Timeout | null = null
  /** Reads the drive's tree for held deletions while they wait (tree-warmup.ts). */
  readonly #warmup = new TreeWarmup()

  constructor (init: LocalChangesInit) {
    this.#i = init
    this.#guard = new DeleteGuard(init.guard, init.onDue)
  }

  /** Is there anything to scan? */
  get wanted (): boolean { return this.#full || this.#dirty.size > 0 || this.#guard.ready }
  /** Paths known to have changed and not yet published (deletions held by the guard included). */
  get pending (): number { return this.#dirty.size + this.#guard.size + this.#waiting.size }

  /** A path changed (null: something changed somewhere, scan everything). */
  mark (path: string | null): void {
    if (path === null) this.#full = true
    else { this.#dirty.add(path); this.#markedAt = Date.now() }
  }

  /** After `ctl resume`: the deletions are confirmed; the next scan publishes them whatever their number. */
  confirm (): void {
    this.#confirmed = true
    for (const p of this.#guard.take()) this.#dirty.add(p)
    this.#full = true
  }

  /** Resolves once no read of the drive is in flight (before the drive is closed). */
  async stop (): Promise<void> {
    this.#guard.stop()
    if (this.#laterTimer !== null) clearTimeout(this.#laterTimer)
    await this.#warmup.close()
  }

  /** Files still being written: looked at again once they may have settled. */
  #later (paths: string[]): void {
    for (const p of paths) this.#waiting.add(p)
    if (this.#laterTimer !== null) return
    this.#laterTimer = setTimeout(() => {
      this.#laterTimer = null
      for (const p of this.#waiting) this.#dirty.add(p)
      this.#waiting.clear()
      this.#i.onDue()
    }, QUIET_MS)
  }

  /** `onSlice`: a slice of the changes is in the drive (announce the new head). */
  async publish (own: Hyperdrive, w: string, seen: Record<string, number>, onSlice?: () => void): Promise<PublishOutcome> {
    const { index, folder } = this.#i
    const full = this.#full || this.#dirty.size > Math.max(FULL_SCAN_ABOVE, index.size)
    const paths = full ? [''] : topmost([...this.#dirty].map((p) => unknownAncestor(index, p)))
    // Deletions this scan finds were seen when their paths were marked; a full scan (a rescan, the
    // watcher lost track) sees them only now.
    const seenAt = this.#full ? Date.now() : this.#markedAt
    this.#full = false
    this.#dirty.clear()
    const t0 = performance.now()
    const result: ScanResult = await scanPaths(folder, index, paths)
    const scanned = performance.now()
    if (result.folderMissing && !this.#confirmed) return { published: 0, paused: 'the namespace folder is gone' }
    let removed = result.removed
    if (!this.#confirmed) {
      // Deletions wait for the settle window and are judged together (guard.ts).
      this.#guard.hold(removed, seenAt)
      this.#warmup.add(own, removed)
      // Whether they are still gone is asked of the file system worker once the window is over.
      if (this.#guard.size >= WORKER_START_OPS) void fsBatch.prestart()
      const due = this.#guard.ready
      const settled = await this.#settled()
      // The window is over: their puts are next (or nothing is published), the reads stop.
      if (due) await this.#warmup.stop()
      if (typeof settled === 'string') return { published: 0, paused: settled }
      removed = settled
    }
    this.#confirmed = false
    if (result.changed.length === 0 && removed.length === 0) return { published: 0, paused: null }
    const ctx = { drive: own, writer: this.#i.writer, index, hlc: this.#i.hlc, w, seen: () => seen, log: this.#i.log, onPublished: onSlice, uploading: this.#i.uploading, serving: this.#i.serving }
    // A rename shows as a removal and a new file with the same content: look up the removed
    // paths' blobs (one drive read each) only when some file is new or changed. Deletions alone
    // (W6: 1,000 reads) reuse nothing.
    const reuse = result.changed.some(([, d]) => d.kind === 'file')
      ? await reusableBlobs(own, index, [...removed, ...this.#guard.held()])
      : new Map<string, BlobRef>()
    // One drive batch per slice, not per scan: a batch holds all its entries in memory until it is
    // flushed (an initial scan of 100,000 files was one batch). Each slice is recorded in the index
    // when flushed, and announced, so peers start fetching while the rest is published.
    let published = 0
    const slices: ScanResult[] = []
    for (const part of growing(result.changed)) slices.push({ changed: part, removed: [], folderMissing: false })
    // Deletions in full slices: split small, their publish measured ~2.5× slower (bench W6: 1,000
    // tombstones 0.7–0.9 s in four batches against 0.35–0.4 s in one), the peer asking for the
    // first ones while the rest were still being put.
    for (let i = 0; i < removed.length; i += PUBLISH_SLICE) slices.push({ changed: [], removed: removed.slice(i, i + PUBLISH_SLICE), folderMissing: false })
    result.changed = []
    for (const slice of slices) {
      const r = await publish(ctx, slice, reuse)
      slice.changed = []
      for (const p of r.retry) this.#dirty.add(p)
      if (r.later.length > 0) this.#later(r.later)
      published += r.published
      if (r.published > 0) onSlice?.()
    }
    this.#i.log.debug(`scan (${full ? 'full' : `${paths.length} paths`}) ${(scanned - t0).toFixed(0)} ms, publish of ${published} ${(performance.now() - scanned).toFixed(0)} ms`)
    return { published, paused: null }
  }

  /** Held deletions whose window is over and that are still gone, or why this is a mass delete. */
  async #settled (): Promise<string[] | string> {
    if (!this.#guard.ready) return []
    const { index, folder } = this.#i
    const removed: string[] = []
    // Still gone? One lstat each, all in one message to the file system worker (fs-batch.ts; W6:
    // 1,000 of them one by one before, then 16 at a time through the libuv pool).
    await Promise.all(this.#guard.take().map(async (p) => {
      if (index.get(p) !== undefined && (await fsBatch.stat(join(folder, p))) === null) removed.push(p)
    }))
    const files = removed.filter((p) => index.get(p)?.kind !== 'dir').length
    const total = index.fileCount()
    if (this.#guard.check(files, total)) {
      for (const p of removed) this.#dirty.add(p) // judged again after `ctl resume`
      return `${files} of ${total} files deleted at once`
    }
    return removed.sort((a, b) => b.split('/').length - a.split('/').length)
  }
}

/** `items` in slices of FIRST_SLICE, then twice the last, at most PUBLISH_SLICE. */
function growing<T> (items: T[]): T[][] {
  const out: T[][] = []
  for (let i = 0, n = FIRST_SLICE; i < items.length; i += n, n = Math.min(PUBLISH_SLICE, n * 2)) out.push(items.slice(i, i + n))
  return out
}

/** A new directory's first scan starts at its topmost ancestor the index does not know yet. */
function unknownAncestor (index: FolderIndex, path: string): string {
  for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) {
    const ancestor = path.slice(0, i)
    if (index.get(ancestor) === undefined) return ancestor
  }
  return path
}

/**
 * Drops paths below another path of the list: scanning the parent covers them. Each path's
 * ancestors are looked up in a set: comparing each with every path kept was quadratic, ~0.3 s of
 * a receiver's loop when its own writes of thousands of files came back from the watcher.
 */
export function topmost (paths: string[]): string[] {
  const all = new Set(paths)
  if (all.has('')) return ['']
  const out: string[] = []
  for (const p of all) {
    let covered = false
    for (let i = p.indexOf('/'); i > 0 && !covered; i = p.indexOf('/', i + 1)) covered = all.has(p.slice(0, i))
    if (!covered) out.push(p)
  }
  return out
}
