// The folder index's entries in memory, packed: one fixed-size binary record per path in a shared
// buffer, and a Map from path to record number. A Map of IndexEntry objects (plus a 64-character
// hash string each) cost ~390 heap bytes per path; this costs the path string, one Map slot with a
// small integer, and RECORD bytes outside the heap. Entries are decoded on read (short-lived objects).
import { isConflictCopy } from './conflict.js'
import type { IndexEntry } from './index.js'

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
const MIN_CAPACITY = 64

export interface IndexTotals {
  /** Entries that are not directories. */
  files: number
  bytes: number
  conflicts: number
}

export class PackedEntries {
  readonly #slots = new Map<string, number>()
  #buf = Buffer.alloc(MIN_CAPACITY * RECORD)
  #used = 0
  readonly #free: number[] = []
  readonly #odd = new Map<number, string>()
  readonly #writers: string[] = []
  readonly #writerNo = new Map<string, number>()
  readonly #totals: IndexTotals = { files: 0, bytes: 0, conflicts: 0 }

  get size (): number { return this.#slots.size }
  get totals (): Readonly<IndexTotals> { return this.#totals }
  has (path: string): boolean { return this.#slots.has(path) }

  get (path: string): IndexEntry | undefined {
    const slot = this.#slots.get(path)
    return slot === undefined ? undefined : this.#decode(slot)
  }

  set (path: string, e: IndexEntry): void {
    let slot = this.#slots.get(path)
    if (slot === undefined) {
      slot = this.#alloc()
      this.#slots.set(path, slot)
    } else {
      this.#count(path, slot, -1)
      this.#odd.delete(slot)
    }
    const b = this.#buf
    const o = slot * RECORD
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
    const slot = this.#slots.get(path)
    if (slot === undefined) return false
    this.#count(path, slot, -1)
    this.#slots.delete(path)
    this.#odd.delete(slot)
    this.#free.push(slot)
    return true
  }

  clear (): void {
    this.#slots.clear()
    this.#odd.clear()
    this.#free.length = 0
    this.#used = 0
    this.#buf = Buffer.alloc(MIN_CAPACITY * RECORD)
    this.#totals.files = this.#totals.bytes = this.#totals.conflicts = 0
  }

  paths (): IterableIterator<string> { return this.#slots.keys() }

  * entries (): IterableIterator<[string, IndexEntry]> {
    for (const [path, slot] of this.#slots) yield [path, this.#decode(slot)]
  }

  #decode (slot: number): IndexEntry {
    const b = this.#buf
    const o = slot * RECORD
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
    const o = slot * RECORD
    if (KINDS[this.#buf[o] as number] === 'dir') return
    this.#totals.files += sign
    this.#totals.bytes += sign * this.#buf.readDoubleLE(o + 8)
    if (isConflictCopy(path)) this.#totals.conflicts += sign
  }

  #alloc (): number {
    const reused = this.#free.pop()
    if (reused !== undefined) return reused
    if ((this.#used + 1) * RECORD > this.#buf.length) {
      const grown = Buffer.alloc(Math.ceil(this.#buf.length * 1.5 / RECORD) * RECORD)
      this.#buf.copy(grown, 0, 0, this.#used * RECORD)
      this.#buf = grown
    }
    return this.#used++
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
