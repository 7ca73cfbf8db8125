// Drive → folder: merges every writer's drive into the folder. Each round reads only what changed
// since the last round (each drive's blocks after a per-drive checkpoint, drive-blocks.ts),
// resolves each changed path across all writers (conflict.ts), and applies winners and conflict
// copies through the FolderWriter.
//
// Local edits always come first: if the disk differs from what the index recorded, the path is
// deferred and the round is not committed; the replica publishes the edit (its clock is past
// everything observed, its seen map does not include what was deferred) and merges again, so the
// local edit wins and the remote version becomes a conflict copy, or the reverse. Nothing is lost.
import type Hyperdrive from 'hyperdrive'
import type { Logger } from '../log.js'
import { parentRel } from '../rel-path.js'
import { SupersededError, type DirectFetch } from './blob-fetch.js'
import { conflictPath, resolve } from './conflict.js'
import { entryKey } from './batch-summary.js'
import { DriveBlocks, entriesAt, GAP, type ChangedEntry } from './drive-blocks.js'
import { MergeContent } from './merge-content.js'
import { drivePath, toCandidate, type Candidate } from './entry.js'
import { StageClock } from './stage-clock.js'
import type { Hlc } from './hlc.js'
import type { FolderIndex } from './index.js'
import type { FolderWriter } from './apply.js'
import { inParallel } from './parallel.js'
import { fsBatch, WORKER_START_OPS } from './fs-batch.js'
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
  /** How long a round waits for a drive's next block (default FETCH_WAIT_MS). */
  fetchWaitMs?: number
  onProgress?: (p: MergeProgress) => void
  /** A direct stream of a file's content from its writer (drive key hex, path, hash, size), if one can be had. */
  direct?: (key: string, path: string, hash: string, size: number) => DirectFetch | null
}

/** How long a round waits for a drive's next block before leaving the rest for a later round. */
const FETCH_WAIT_MS = 5000

/** How many changed paths a round resolves and applies together at most (bounds a round's memory). */
const MERGE_SLICE = 2000

/** Content up to this size is fetched whole and written in one call rather than streamed. */
const SMALL_CONTENT = 256 << 10

/** How many paths are resolved or applied at once (file system and storage latency, not CPU). */
const PARALLEL = 16
/**
 * Removals of files at once: a stat and an unlink each, which the file system worker makes for all
 * of them in one message (fs-batch.ts); 16 at a time made W6's 1,000 removals ~130 worker trips.
 */
const REMOVALS_PARALLEL = 256

interface Winner { path: string, cand: Candidate, src: MergeSource, conflicts: Array<{ cand: Candidate, src: MergeSource }> }

interface Snap { src: MergeSource, version: number, from: number, snap: Hyperdrive, at: number }

/** A folder with at least this many of a slice's paths is looked at whole in each other drive. */
const FOLDER_PEEK_MIN = 8

/**
 * The folders, among those holding FOLDER_PEEK_MIN or more of `changes`' paths, under which each
 * snapshot has no entry at all: one seek each (the first key in the folder's range), where a
 * lookup per path is one b-tree walk each. A node that writes in one folder and receives a batch
 * for another (bench W4, W6) finds nothing to read for the whole batch at once.
 */
async function emptyFolders (changes: ChangedEntry[], snaps: Snap[], timeout: number): Promise<Map<Snap, Set<string>>> {
  const out = new Map<Snap, Set<string>>()
  if (snaps.length === 0) return out
  const count = new Map<string, number>()
  for (const { path } of changes) { const d = parentRel(path); count.set(d, (count.get(d) ?? 0) + 1) }
  const folders = [...count].filter(([, n]) => n >= FOLDER_PEEK_MIN).map(([d]) => d)
  if (folders.length === 0) return out
  for (const s of snaps) {
    const none = new Set<string>()
    for (const d of folders) {
      // Everything below `d` lies in the keys ('/d/', '/d0'): '0' follows '/'.
      const base = d === '' ? '' : drivePath(d)
      const range = { gt: entryKey(`${base}/`), lt: entryKey(`${base}0`) }
      if (await s.snap.db.peek(range, { keyEncoding: 'binary', valueEncoding: 'binary', extension: false, timeout }) === null) none.add(d)
    }
    out.set(s, none)
  }
  return out
}

export class Merger {
  readonly #o: MergerOptions
  readonly #fetch: MergeContent

  constructor (opts: MergerOptions) {
    this.#o = opts
    this.#fetch = new MergeContent(opts)
  }

  /**
   * One round over all sources. Each drive's changes since its checkpoint are read from its blocks
   * in order (drive-blocks.ts) up to the version it had when the round began, and resolved and
   * applied a slice at a time: a slice ends when MERGE_SLICE paths are waiting or when the next
   * block has not arrived yet, so the first files land while the rest of a large batch is still on
   * the way, and a round's memory does not grow with the number of changes. Entries of the other
   * drives are read from snapshots at what each held when the round began (a block not held would
   * make the read wait); a change they make later is in their own blocks, read in this round or the
   * next. A drive whose next block does not come within FETCH_WAIT_MS is merged up to there (a
   * prefix of a drive is a version of it) and again in a later round. Directory removals wait for
   * the end of the round (children first): a directory's children may come in a later slice.
   */
  async run (sources: MergeSource[]): Promise<MergeOutcome> {
    const { state, hlc } = this.#o
    const outcome: MergeOutcome = { applied: 0, conflicts: 0, deferred: [], created: [], committed: false, incomplete: false }
    const snaps: Snap[] = sources.map((src) => {
      const version = src.drive.version
      const from = state.checkpoints[src.key] ?? 0
      const at = Math.max(1, Math.min(version, Math.max(src.drive.core.contiguousLength, from)))
      return { src, version, from, snap: src.drive.checkout(at), at }
    })
    const clock = new StageClock()
    try {
      const maxClock: Record<string, number> = {}
      const reached = new Map<string, number>()
      // Progress: blocks still to read (about one change each) plus what the current slice has not
      // applied yet; bytes are known only for the current slice.
      let later = 0
      for (const s of snaps) later += Math.max(0, s.version - Math.max(1, s.from))
      // Enough changes for the file system worker: started while the first blocks are read.
      if (later >= WORKER_START_OPS) void fsBatch.prestart()
      const pending = { files: 0, bytes: 0 }
      let reading: DriveBlocks | null = null
      const report = (): void => this.#o.onProgress?.({ files: later + (reading?.unread ?? 0) + pending.files, bytes: pending.bytes })
      const dirTombs = new Map<string, Winner>()
      const waitMs = this.#o.fetchWaitMs ?? FETCH_WAIT_MS
      for (const s of snaps) {
        if (s.version <= s.from) continue
        const blocks = new DriveBlocks(s.src.drive.core, s.from, s.version, { waitMs, entriesAt: async (paths, v) => await entriesAt(s.src.drive, paths, v, waitMs) })
        later -= s.version - blocks.next
        reading = blocks
        const slice = new Map<string, ChangedEntry>()
        const flush = async (): Promise<void> => {
          if (slice.size === 0) return
          clock.lap('read')
          const winners = await this.#resolve([...slice.values()], s.src, snaps)
          clock.lap('resolve')
          clock.count += slice.size
          slice.clear()
          await this.#applySlice(winners, dirTombs, outcome, pending, report)
          clock.lap('apply')
        }
        for await (const e of blocks.changes()) {
          if (e === GAP) { await flush(); continue }
          const cand = toCandidate(e.node)
          if (cand !== null && cand.w !== this.#o.own) {
            // A summary's claims are applied before their blocks are read: our clock goes past
            // them now (a local write after them must win), but what we have seen of their writer
            // counts only blocks read (a claim's own block says 'match' once read).
            hlc.observe(cand.c)
            if (e.summary !== 'claim' && cand.c > (maxClock[cand.w] ?? 0)) maxClock[cand.w] = cand.c
          }
          if (e.summary === 'match') continue // applied as a claim
          // A path written again later in the slice is resolved once, at its latest entry.
          slice.delete(e.path)
          slice.set(e.path, e)
          if (slice.size >= MERGE_SLICE) await flush()
        }
        await flush()
        reading = null
        if (!blocks.done) outcome.incomplete = true
        reached.set(s.src.key, blocks.next)
      }
      const tombs = [...dirTombs.values()].sort(applyOrder)
      for (const win of tombs) await this.#applyOne(win, outcome)
      clock.lap('apply')
      if (clock.count > 0) this.#o.log.debug(`merge round: ${clock.count} paths, ${clock.summary()}`)
      if (outcome.deferred.length === 0) {
        for (const [key, v] of reached) if (v > (state.checkpoints[key] ?? 0)) state.checkpoints[key] = v
        for (const [w, c] of Object.entries(maxClock)) if (c > (state.seen[w] ?? 0)) state.seen[w] = c
        outcome.committed = true
      }
      return outcome
    } finally {
      await Promise.allSettled(snaps.map((s) => s.snap.close()))
    }
  }

  /**
   * The winner (and the conflicting losers) of each changed path across all drives: `from`'s entry
   * is the one its block holds, the others' come from the round's snapshots.
   */
  async #resolve (changes: ChangedEntry[], from: MergeSource, snaps: Snap[]): Promise<Winner[]> {
    // Resolving reads one entry per other drive per path: done a few paths at a time.
    const timeout = this.#o.blockTimeoutMs ?? 30_000
    const empty = await emptyFolders(changes, snaps.filter((s) => s.src !== from && s.at > 1), timeout)
    const winners: Winner[] = []
    await inParallel(changes, PARALLEL, async ({ path, node }) => {
      const found: Array<{ cand: Candidate, src: MergeSource }> = []
      for (const s of snaps) {
        const { src, snap, at } = s
        // A block without a node is a deletion: that drive has no entry for the path any more.
        // Version 1 is an empty drive (its header only): nothing to read. Nor is there anything
        // in a folder that drive has no entry under.
        const entry = src === from ? node : at <= 1 || empty.get(s)?.has(parentRel(path)) === true ? null : await snap.entry(drivePath(path), { timeout })
        const cand = toCandidate(entry)
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
   * of the round, unless a later slice resolves the path again.
   */
  async #applySlice (winners: Winner[], dirTombs: Map<string, Winner>, outcome: MergeOutcome, pending: MergeProgress, report: () => void): Promise<void> {
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
    for (const w of winners) dirTombs.delete(w.path)
    const dirs = winners.filter((w) => w.cand.k === 'dir')
    const files = winners.filter((w) => w.cand.k === 'file' || w.cand.k === 'link')
    const tombs = winners.filter((w) => w.cand.k === 'tomb')
    for (const win of dirs) await applyOne(win)
    await inParallel(files, PARALLEL, applyOne)
    // Removals of what the index knows as a file or link are independent of each other: in
    // parallel. Anything else (unknown here, maybe a local directory) children first, one by one.
    const kinds = tombs.map((w) => this.#o.index.get(w.path)?.kind)
    tombs.forEach((w, i) => { if (kinds[i] === 'dir') { dirTombs.set(w.path, w); pending.files-- } })
    await inParallel(tombs.filter((_, i) => kinds[i] === 'file' || kinds[i] === 'link'), REMOVALS_PARALLEL, applyOne)
    for (const [i, win] of tombs.entries()) if (kinds[i] === undefined) await applyOne(win)
  }

  async #applyOne (win: Winner, outcome: MergeOutcome): Promise<void> {
    try {
      for (const loser of win.conflicts) {
        if (await this.#writeConflictCopy(win.path, loser.cand, loser.src)) {
          outcome.conflicts++
          outcome.created.push(conflictPath(win.path, loser.cand))
        }
      }
      const r = await this.#apply(win)
      if (r === 'deferred') outcome.deferred.push(win.path)
      else if (r === 'applied') outcome.applied++
    } catch (err) {
      // A version's writer replaced it while its content was fetched: the round is not committed,
      // so the next one reads the newer entry and applies that.
      if (!(err instanceof SupersededError)) throw err
      outcome.deferred.push(win.path)
    }
  }

  async #apply ({ path, cand, src }: Winner): Promise<'applied' | 'same' | 'deferred'> {
    const { writer, index } = this.#o
    const known = index.get(path)
    const disk = await writer.stat(path)
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
        if (disk === null) {
          // Gone already: nothing applied unless the index still knew it (a round that reads a
          // summary's claims again after stopping inside its range finds them done).
          if (known === undefined) return 'same'
          index.delete(path)
          return 'applied'
        }
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
        if (cand.meta.z <= SMALL_CONTENT) await writer.writeBytes(path, await this.#fetch.bytes(path, cand, src), cand.meta.m, cand.meta.t, cand.h, ver)
        else await writer.writeFile(path, await this.#fetch.content(path, cand, src), cand.meta.m, cand.meta.t, cand.h, ver)
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
    else await writer.writeFile(target, await this.#fetch.content(path, cand, src), cand.meta.m, cand.meta.t, cand.h, null)
    return true
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
