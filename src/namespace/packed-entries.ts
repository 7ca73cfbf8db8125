// The folder index's entries in memory, packed: one fixed-size binary record per path in pages of
// RECORDS_PER_PAGE records, and the paths themselves in a PathTable (path-table.ts), which gives
// each path its record number. A Map of IndexEntry objects (plus a 64-character hash string each)
// cost ~390 heap bytes per path; a Map from path string to record number plus one buffer grown by
// copying cost ~240 (71 of them in the V8 heap). This costs RECORD bytes, the path's UTF-8 bytes
// and ~18 bytes of table per path, none of it in the V8 heap. Entries are decoded on read.
import { isConflictCopy } from './conflict.js'
import type { IndexEntry } from './index.js'
import { PathTable } from './path-table.js'

/**
 * Record layout (little-endian):
 *   0 kind u8 · 1 flags u8 · 2 mode u16 · 4 writer number u32 · 8 size f64 · 16 mtimeMs f64
 *   24 ino f64 · 32 clock f64 · 40 sha256 (32 bytes)
 */
const RECORD = 72
const KINDS = ['file', 'dir', 'link'] as const
const F_VER = 1
/** The hash is 64 lowercase hex characters, stored as 32 bytes. */
const F_HEX = 2
/** Any other non-empty hash (a link target): kept as a string in #odd. */
const F_ODD = 4
const HEX64 = /^[0-9a-f]{64}$/
/** Records are allocated a page at a time and never moved: growing copies nothing. */
const RECORDS_PER_PAGE = 1024

export interface IndexTotals {
  /** Entries that are not directories. */
  files: number
  bytes: number
  conflicts: number
}

export class PackedEntries {
  readonly #paths = new PathTable()
  #pages: Buffer[] = []
  readonly #odd = new Map<number, string>()
  readonly #writers: string[] = []
  readonly #writerNo = new Map<string, number>()
  readonly #totals: IndexTotals = { files: 0, bytes: 0, conflicts: 0 }

  get size (): number { return this.#paths.size }
  get totals (): Readonly<IndexTotals> { return this.#totals }
  has (path: string): boolean { return this.#paths.slotOf(path) >= 0 }

  get (path: string): IndexEntry | undefined {
    const slot = this.#paths.slotOf(path)
    return slot < 0 ? undefined : this.#decode(slot)
  }

  set (path: string, e: IndexEntry): void {
    const { slot, added } = this.#paths.insert(path)
    if (!added) {
      this.#count(path, slot, -1)
      this.#odd.delete(slot)
    }
    while (this.#pages.length * RECORDS_PER_PAGE <= slot) this.#pages.push(Buffer.alloc(RECORDS_PER_PAGE * RECORD))
    const [b, o] = this.#at(slot)
    let flags = 0
    if (e.ver !== null) flags |= F_VER
    if (HEX64.test(e.hash)) {
      flags |= F_HEX
      b.write(e.hash, o + 40, 32, 'hex')
    } else if (e.hash !== '') {
      flags |= F_ODD
      this.#odd.set(slot, e.hash)
    }
    b[o] = KINDS.indexOf(e.kind)
    b[o + 1] = flags
    b.writeUInt16LE(e.mode & 0xffff, o + 2)
    b.writeUInt32LE(e.ver === null ? 0 : this.#writer(e.ver.w), o + 4)
    b.writeDoubleLE(e.size, o + 8)
    b.writeDoubleLE(e.mtimeMs, o + 16)
    b.writeDoubleLE(e.ino, o + 24)
    b.writeDoubleLE(e.ver === null ? 0 : e.ver.c, o + 32)
    this.#count(path, slot, 1)
  }

  delete (path: string): boolean {
    const slot = this.#paths.slotOf(path)
    if (slot < 0) return false
    this.#count(path, slot, -1)
    this.#paths.remove(path)
    this.#odd.delete(slot)
    return true
  }

  clear (): void {
    this.#paths.clear()
    this.#odd.clear()
    this.#pages = []
    this.#totals.files = this.#totals.bytes = this.#totals.conflicts = 0
  }

  /** Each path once (a path set or deleted meanwhile may or may not be seen, as with a Map). */
  * paths (): IterableIterator<string> {
    for (const slot of this.#paths.slots()) {
      const path = this.#paths.pathOf(slot)
      if (path !== null) yield path
    }
  }

  /** The paths at or below `prefix` ('' is everything), without decoding the others. */
  * pathsUnder (prefix: string): IterableIterator<string> {
    for (const slot of this.#paths.slotsUnder(prefix)) {
      const path = this.#paths.pathOf(slot)
      if (path !== null) yield path
    }
  }

  * entries (): IterableIterator<[string, IndexEntry]> {
    for (const slot of this.#paths.slots()) {
      const path = this.#paths.pathOf(slot)
      if (path !== null) yield [path, this.#decode(slot)]
    }
  }

  /** The page holding `slot`'s record, and the record's offset in it. */
  #at (slot: number): [Buffer, number] {
    return [this.#pages[Math.floor(slot / RECORDS_PER_PAGE)] as Buffer, (slot % RECORDS_PER_PAGE) * RECORD]
  }

  #decode (slot: number): IndexEntry {
    const [b, o] = this.#at(slot)
    const flags = b[o + 1] as number
    const hash = (flags & F_HEX) !== 0 ? b.toString('hex', o + 40, o + 72) : (flags & F_ODD) !== 0 ? this.#odd.get(slot) ?? '' : ''
    return {
      kind: KINDS[b[o] as number] ?? 'file',
      size: b.readDoubleLE(o + 8),
      mtimeMs: b.readDoubleLE(o + 16),
      mode: b.readUInt16LE(o + 2),
      ino: b.readDoubleLE(o + 24),
      hash,
      ver: (flags & F_VER) === 0 ? null : { w: this.#writers[b.readUInt32LE(o + 4)] ?? '', c: b.readDoubleLE(o + 32) }
    }
  }

  /** Adds (sign 1) or removes (-1) the record's share of the totals. */
  #count (path: string, slot: number, sign: 1 | -1): void {
    const [b, o] = this.#at(slot)
    if (KINDS[b[o] as number] === 'dir') return
    this.#totals.files += sign
    this.#totals.bytes += sign * b.readDoubleLE(o + 8)
    if (isConflictCopy(path)) this.#totals.conflicts += sign
  }

  /** Writer ids are 64-character strings shared by most entries: one copy each, by number. */
  #writer (w: string): number {
    let n = this.#writerNo.get(w)
    if (n === undefined) {
      n = this.#writers.push(w) - 1
      this.#writerNo.set(w, n)
    }
    return n
  }
}
