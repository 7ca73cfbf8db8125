// Drive → folder: merges every writer's drive into the folder. Each round reads only what changed
// since the last round (drive.diff from a per-drive checkpoint), resolves each changed path across
// all writers (conflict.ts), and applies winners and conflict copies through the FolderWriter.
//
// Local edits always come first: if the disk differs from what the index recorded, the path is
// deferred and the round is not committed; the replica publishes the edit (its clock is past
// everything observed, its seen map does not include what was deferred) and merges again, so the
// local edit wins and the remote version becomes a conflict copy, or the reverse. Nothing is lost.
import { Readable } from 'node:stream'
import type Hyperdrive from 'hyperdrive'
import type { Logger } from '../log.js'
import { fetchBlob, type DirectFetch } from './blob-fetch.js'
import { conflictPath, resolve } from './conflict.js'
import { drivePath, folderPath, toCandidate, type Candidate } from './entry.js'
import type { Hlc } from './hlc.js'
import type { FolderIndex } from './index.js'
import type { FolderWriter } from './apply.js'
import { hashFile, statEntry, statMatches, type DiskEntry } from './scanner.js'

export interface MergeSource {
  /** Writer id. */
  w: string
  /** Hex drive key: the checkpoint's key. */
  key: string
  drive: Hyperdrive
}

export interface MergeState {
  /** Drive key hex → drive version merged. */
  checkpoints: Record<string, number>
  /** Writer id → highest clock applied. */
  seen: Record<string, number>
}

export interface MergeOutcome {
  applied: number
  conflicts: number
  /** Paths with a local edit the merge did not overwrite: publish them, then merge again. */
  deferred: string[]
  /** New local files (conflict copies) to publish. */
  created: string[]
  committed: boolean
  /** A drive could not be read up to its version yet (its blocks are still on the way): merge again later. */
  incomplete: boolean
}

export interface MergeProgress { files: number, bytes: number }

export interface MergerOptions {
  writer: FolderWriter
  index: FolderIndex
  hlc: Hlc
  state: MergeState
  /** Our writer id; null on a read-only node. */
  own: string | null
  /** Read-only: remote state always wins, local edits are overwritten (they are never published). */
  readOnly: boolean
  log: Logger
  /** Per-block wait for remote content before the round gives up and retries later. */
  blockTimeoutMs?: number
  onProgress?: (p: MergeProgress) => void
  /** A direct stream of a file's content from its writer (drive key hex, path, hash, size), if one can be had. */
  direct?: (key: string, path: string, hash: string, size: number) => DirectFetch | null
}

/** How long a round waits for a drive's index blocks before leaving that drive for a later round. */
const FETCH_WAIT_MS = 5000

/** How many changed paths a round resolves and applies together (bounds a round's memory). */
const MERGE_SLICE = 2000

/** How many paths are resolved or applied at once (file system and storage latency, not CPU). */
const PARALLEL = 16

interface Winner { path: string, cand: Candidate, src: MergeSource, conflicts: Array<{ cand: Candidate, src: MergeSource }> }

export class Merger {
  readonly #o: MergerOptions

  constructor (opts: MergerOptions) {
    this.#o = opts
  }

  /**
   * One round over all sources. Snapshots each drive first, so a round sees one consistent version.
   * The changed paths are resolved and applied a slice of MERGE_SLICE at a time while the diffs are
   * read, so a round's memory does not grow with the number of changes (100,000 paths in one round
   * used to hold every path, candidate and winner at once). Directory removals wait for the end of
   * the round (children first): a directory's children may come in a later slice.
   */
  async run (sources: MergeSource[]): Promise<MergeOutcome> {
    const { state, hlc } = this.#o
    const outcome: MergeOutcome = { applied: 0, conflicts: 0, deferred: [], created: [], committed: false, incomplete: false }
    const snaps = sources.map((src) => ({ src, version: src.drive.version, snap: src.drive.checkout(src.drive.version) }))
    try {
      const skipped = new Set<string>()
      const maxClock: Record<string, number> = {}
      // Progress: the entries still to read from the diffs (one per block: an estimate) plus what the
      // current slice has not applied yet; bytes are known only for the current slice.
      let unread = 0
      for (const { src, version } of snaps) unread += Math.max(0, version - (state.checkpoints[src.key] ?? 0))
      const pending = { files: 0, bytes: 0 }
      const report = (): void => this.#o.onProgress?.({ files: unread + pending.files, bytes: pending.bytes })
      const dirTombs: Winner[] = []
      const slice = new Set<string>()
      const flush = async (): Promise<void> => {
        const winners = await this.#resolve([...slice], snaps)
        slice.clear()
        await this.#applySlice(winners, dirTombs, outcome, pending, report)
      }
      // Fetch each drive's index blocks in bulk (the diff would fetch them one round trip at a time)
      // before reading any: a diff or an entry read waits for missing blocks. A drive not held up
      // to its version yet is merged up to the prefix held (a hyperbee version is a core length,
      // and a prefix is what the writer had written then), and merged again in a later round: a
      // new node applies while the rest of a large drive arrives instead of after all of it.
      for (const s of snaps) {
        const from = state.checkpoints[s.src.key] ?? 0
        if (s.version <= from) continue
        const core = s.src.drive.core
        const length = Math.min(s.version, core.length)
        if (core.contiguousLength >= length) continue
        const dl = core.download({ start: 0, end: length })
        await Promise.race([dl.done().catch(() => {}), sleep(FETCH_WAIT_MS)])
        if (core.contiguousLength >= length) continue
        dl.destroy()
        outcome.incomplete = true
        const held = core.contiguousLength
        unread -= s.version - Math.max(from, held)
        if (held <= from) { skipped.add(s.src.key); continue } // nothing new held: later
        await s.snap.close()
        s.version = held
        s.snap = s.src.drive.checkout(held)
      }
      for (const { src, version, snap } of snaps) {
        const from = state.checkpoints[src.key] ?? 0
        if (version <= from || skipped.has(src.key)) continue
        for await (const { left, right } of snap.diff(from)) {
          unread = Math.max(0, unread - 1)
          const node = left ?? right
          if (node === null) continue
          // A path changed in several drives may be resolved once per drive: resolving reads every
          // drive and applying the same winner again is a no-op ('same').
          slice.add(folderPath(node.key))
          const cand = toCandidate(left)
          if (cand !== null && cand.w !== this.#o.own) {
            hlc.observe(cand.c)
            if (cand.c > (maxClock[cand.w] ?? 0)) maxClock[cand.w] = cand.c
          }
          if (slice.size >= MERGE_SLICE) await flush()
        }
      }
      await flush()
      dirTombs.sort(applyOrder)
      for (const win of dirTombs) await this.#applyOne(win, outcome)
      if (outcome.deferred.length === 0) {
        for (const { src, version } of snaps) if (!skipped.has(src.key)) state.checkpoints[src.key] = version
        for (const [w, c] of Object.entries(maxClock)) if (c > (state.seen[w] ?? 0)) state.seen[w] = c
        outcome.committed = true
      }
      return outcome
    } finally {
      await Promise.allSettled(snaps.map((s) => s.snap.close()))
    }
  }

  /** The winner (and the conflicting losers) of each path across all snapshots. */
  async #resolve (paths: string[], snaps: Array<{ src: MergeSource, snap: Hyperdrive }>): Promise<Winner[]> {
    // Resolving reads one entry per drive per path: done a few paths at a time.
    const winners: Winner[] = []
    await inParallel(paths, PARALLEL, async (path) => {
      const found: Array<{ cand: Candidate, src: MergeSource }> = []
      for (const { src, snap } of snaps) {
        const cand = toCandidate(await snap.entry(drivePath(path), { timeout: this.#o.blockTimeoutMs ?? 30_000 }))
        // An entry must be written by the drive it is in: a writer cannot speak for another.
        if (cand !== null && cand.w === src.w) found.push({ cand, src })
      }
      const r = resolve(found.map((f) => f.cand))
      if (r === null) return
      const src = found.find((f) => f.cand === r.winner)?.src
      if (src === undefined) return
      winners.push({ path, cand: r.winner, src, conflicts: found.filter((f) => r.conflicts.includes(f.cand)) })
    })
    return winners
  }

  /**
   * Directories parents first, then files and links (independent of each other: in parallel), then
   * removals children first; removals of directories the index knows go to `dirTombs` for the end
   * of the round.
   */
  async #applySlice (winners: Winner[], dirTombs: Winner[], outcome: MergeOutcome, pending: MergeProgress, report: () => void): Promise<void> {
    winners.sort(applyOrder)
    pending.files = winners.length
    pending.bytes = winners.reduce((n, x) => n + (x.cand.k === 'file' ? x.cand.meta.z : 0), 0)
    report()
    const applyOne = async (win: Winner): Promise<void> => {
      await this.#applyOne(win, outcome)
      pending.files--
      if (win.cand.k === 'file') pending.bytes -= win.cand.meta.z
      report()
    }
    const dirs = winners.filter((w) => w.cand.k === 'dir')
    const files = winners.filter((w) => w.cand.k === 'file' || w.cand.k === 'link')
    const tombs = winners.filter((w) => w.cand.k === 'tomb')
    for (const win of dirs) await applyOne(win)
    await inParallel(files, PARALLEL, applyOne)
    for (const win of tombs) {
      if (this.#o.index.get(win.path)?.kind === 'dir') { dirTombs.push(win); pending.files--; continue }
      await applyOne(win)
    }
  }

  async #applyOne (win: Winner, outcome: MergeOutcome): Promise<void> {
    for (const loser of win.conflicts) {
      if (await this.#writeConflictCopy(win.path, loser.cand, loser.src)) {
        outcome.conflicts++
        outcome.created.push(conflictPath(win.path, loser.cand))
      }
    }
    const r = await this.#apply(win)
    if (r === 'deferred') outcome.deferred.push(win.path)
    else if (r === 'applied') outcome.applied++
  }

  async #apply ({ path, cand, src }: Winner): Promise<'applied' | 'same' | 'deferred'> {
    const { writer, index } = this.#o
    const known = index.get(path)
    const disk = await statEntry(writer.abs(path))
    const ver = { w: cand.w, c: cand.c }
    if (known?.ver?.w === ver.w && known.ver.c === ver.c && disk !== null && statMatches(known, disk)) return 'same'
    const dirty = disk === null ? known !== undefined : known === undefined || !statMatches(known, disk)
    if (disk !== null && (dirty || known?.ver === null)) {
      // Already the winner's content (both sides made the same change, a conflict copy made on
      // both nodes): adopt it without writing.
      if (await sameOnDisk(writer.abs(path), disk, cand)) {
        await writer.record(path, cand.k === 'file' ? cand.h : '', ver, disk)
        return 'same'
      }
    }
    if (dirty && !this.#o.readOnly) return 'deferred'
    switch (cand.k) {
      case 'tomb':
        if (disk === null) { index.delete(path); return 'applied' }
        if (!(await writer.remove(path, disk.kind))) {
          // Something local is still inside: keep the directory, and publish it again.
          await writer.record(path, '', null)
          return 'deferred'
        }
        return 'applied'
      case 'dir':
        if (disk !== null && disk.kind !== 'dir' && !(await writer.remove(path, disk.kind))) return 'deferred'
        await writer.makeDir(path, cand.meta.m, ver)
        return 'applied'
      case 'link':
        if (disk?.kind === 'dir' && !(await writer.remove(path, 'dir'))) return 'deferred'
        await writer.writeLink(path, cand.linkname ?? '', ver)
        return 'applied'
      case 'file': {
        if (disk?.kind === 'dir' && !(await writer.remove(path, 'dir'))) return 'deferred'
        const t0 = performance.now()
        await writer.writeFile(path, await this.#content(path, cand, src), cand.meta.m, cand.meta.t, cand.h, ver)
        if (cand.meta.z >= 1 << 20) this.#o.log.debug(`applied ${path}: ${(cand.meta.z / 1048576).toFixed(1)} MiB in ${((performance.now() - t0) / 1000).toFixed(2)} s (fetch, verify, write)`)
        return 'applied'
      }
    }
  }

  /** Writes a losing version beside the path, unless it is already there. */
  async #writeConflictCopy (path: string, cand: Candidate, src: MergeSource): Promise<boolean> {
    const { writer, index } = this.#o
    const target = conflictPath(path, cand)
    const disk = await statEntry(writer.abs(target))
    if (disk !== null) return false // made earlier, or by a peer and replicated: never overwrite
    if (index.get(target) !== undefined) return false
    this.#o.log.info(`conflict on ${path}: keeping ${cand.w.slice(0, 7)}'s version as ${target}`)
    if (cand.k === 'link') await writer.writeLink(target, cand.linkname ?? '', null)
    else await writer.writeFile(target, await this.#content(path, cand, src), cand.meta.m, cand.meta.t, cand.h, null)
    return true
  }

  /** `path`: where the writer's own folder holds the content (what a direct fetch asks for). */
  async #content (path: string, cand: Candidate, src: MergeSource): Promise<Readable | null> {
    if (cand.blob === null || cand.meta.z === 0) return null
    const blobs = await src.drive.getBlobs()
    if (blobs === null) throw new Error(`no blob store for drive ${src.key.slice(0, 8)}`)
    return Readable.from(fetchBlob(blobs.core, cand.blob, { hash: cand.h, timeout: this.#o.blockTimeoutMs ?? 30_000, direct: this.#o.direct?.(src.key, path, cand.h, cand.meta.z) }), { objectMode: false })
  }
}

function applyOrder (a: Winner, b: Winner): number {
  const rank = (x: Winner): number => x.cand.k === 'dir' ? 0 : x.cand.k === 'tomb' ? 2 : 1
  const ra = rank(a)
  const rb = rank(b)
  if (ra !== rb) return ra - rb
  const da = a.path.split('/').length
  const db = b.path.split('/').length
  return ra === 2 ? db - da : da - db
}

async function sameOnDisk (abs: string, disk: DiskEntry, cand: Candidate): Promise<boolean> {
  if (disk.kind !== cand.k) return false
  if (disk.kind === 'dir') return true
  if (disk.kind === 'link') return disk.target === cand.linkname
  return disk.size === cand.meta.z && (await hashFile(abs).catch(() => '')) === cand.h
}

/** Runs `fn` over `items`, at most `limit` at a time. */
async function inParallel<T> (items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const item = items[next++] as T
      await fn(item)
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
}

function sleep (ms: number): Promise<void> {
  return new Promise((resolve) => { setTimeout(resolve, ms).unref() })
}
