// The folder index's entries in memory, packed: one fixed-size binary record per path in pages of
// RECORDS_PER_PAGE records, and the paths themselves in a PathTable (path-table.ts), which gives
// each path its record number. A Map of IndexEntry objects (plus a 64-character hash string each)
// cost ~390 heap bytes per path; a Map from path string to record number plus one buffer grown by
// copying cost ~240 (71 of them in the V8 heap). This costs RECORD bytes, the path's UTF-8 bytes
// and ~14 bytes of table per path, none of it in the V8 heap. Entries are decoded on read.
import { isConflictCopy } from './conflict.js'
import type { IndexEntry } from './index.js'
import { PathTable } from './path-table.js'

/**
 * Record layout (64 bytes, little-endian; 72 before, with every number an f64: 8 bytes a path):
 *   0 kind and flags u8 (kind: the low 2 bits) · 1 mode u16 · 3 writer number u16 · 5 size u40
 *   10 mtimeMs u48 · 16 ino f64 · 24 clock f64 · 32 sha256 (32 bytes)
 * The narrow fields hold what a folder has (modes are 16 bits, a namespace has a few writers,
 * files under 1 TiB, integer mtimes from 1970 to the year 10889: toDiskEntry floors them); an entry
 * with a value outside them is WIDE: kept whole in #wide, as exact as an f64 record. ino and the
 * clock stay f64: inode numbers can use all 64 bits (XFS, overlayfs), and a clock is 51 bits.
 */
const RECORD = 64
const KINDS = ['file', 'dir', 'link'] as const
const KIND_MASK = 3
const F_VER = 4
/** The hash is 64 lowercase hex characters, stored as 32 bytes. */
const F_HEX = 8
/** Any other non-empty hash (a link target): kept as a string in #odd. */
const F_ODD = 16
/** A value does not fit its narrow field: the entry is in #wide. */
const F_WIDE = 32
const HEX64 = /^[0-9a-f]{64}$/
const MAX_WRITER = 0xffff
const MAX_SIZE = 2 ** 40
const MAX_MTIME = 2 ** 48
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
  readonly #wide = new Map<number, IndexEntry>()
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
      this.#wide.delete(slot)
    }
    while (this.#pages.length * RECORDS_PER_PAGE <= slot) this.#pages.push(Buffer.alloc(RECORDS_PER_PAGE * RECORD))
    const [b, o] = this.#at(slot)
    const writer = e.ver === null ? 0 : this.#writer(e.ver.w)
    if (!fitsNarrow(e, writer)) {
      b[o] = KINDS.indexOf(e.kind) | F_WIDE
      this.#wide.set(slot, { ...e, ver: e.ver === null ? null : { ...e.ver } })
      this.#count(path, slot, 1)
      return
    }
    let flags = KINDS.indexOf(e.kind)
    if (e.ver !== null) flags |= F_VER
    if (HEX64.test(e.hash)) {
      flags |= F_HEX
      b.write(e.hash, o + 32, 32, 'hex')
    } else if (e.hash !== '') {
      flags |= F_ODD
      this.#odd.set(slot, e.hash)
    }
    b[o] = flags
    b.writeUInt16LE(e.mode, o + 1)
    b.writeUInt16LE(writer, o + 3)
    b.writeUIntLE(e.size, o + 5, 5)
    b.writeUIntLE(e.mtimeMs, o + 10, 6)
    b.writeDoubleLE(e.ino, o + 16)
    b.writeDoubleLE(e.ver === null ? 0 : e.ver.c, o + 24)
    this.#count(path, slot, 1)
  }

  delete (path: string): boolean {
    const slot = this.#paths.slotOf(path)
    if (slot < 0) return false
    this.#count(path, slot, -1)
    this.#paths.remove(path)
    this.#odd.delete(slot)
    this.#wide.delete(slot)
    return true
  }

  clear (): void {
    this.#paths.clear()
    this.#odd.clear()
    this.#wide.clear()
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
    const flags = b[o] as number
    if ((flags & F_WIDE) !== 0) {
      const e = this.#wide.get(slot) as IndexEntry
      return { ...e, ver: e.ver === null ? null : { ...e.ver } }
    }
    const hash = (flags & F_HEX) !== 0 ? b.toString('hex', o + 32, o + 64) : (flags & F_ODD) !== 0 ? this.#odd.get(slot) ?? '' : ''
    return {
      kind: KINDS[flags & KIND_MASK] ?? 'file',
      size: b.readUIntLE(o + 5, 5),
      mtimeMs: b.readUIntLE(o + 10, 6),
      mode: b.readUInt16LE(o + 1),
      ino: b.readDoubleLE(o + 16),
      hash,
      ver: (flags & F_VER) === 0 ? null : { w: this.#writers[b.readUInt16LE(o + 3)] ?? '', c: b.readDoubleLE(o + 24) }
    }
  }

  /** Adds (sign 1) or removes (-1) the record's share of the totals. */
  #count (path: string, slot: number, sign: 1 | -1): void {
    const [b, o] = this.#at(slot)
    const flags = b[o] as number
    if (KINDS[flags & KIND_MASK] === 'dir') return
    this.#totals.files += sign
    this.#totals.bytes += sign * ((flags & F_WIDE) !== 0 ? (this.#wide.get(slot) as IndexEntry).size : b.readUIntLE(o + 5, 5))
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

/** Whether every value of `e` fits its narrow field in a record (see the layout above). */
function fitsNarrow (e: IndexEntry, writer: number): boolean {
  return writer <= MAX_WRITER && isUint(e.mode, 0x10000) && isUint(e.size, MAX_SIZE) && isUint(e.mtimeMs, MAX_MTIME)
}

function isUint (n: number, limit: number): boolean {
  return Number.isInteger(n) && n >= 0 && n < limit && !Object.is(n, -0)
}
