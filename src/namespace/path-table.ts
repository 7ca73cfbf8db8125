// A set of path strings kept outside the V8 heap, each with a small integer slot: the folder
// index's key column. A Map<string, number> cost ~70 heap bytes per path (the string, the Map's
// slot) and kept V8's heap large at 100,000 paths; here a path costs its UTF-8 bytes in an arena,
// 8 bytes of slot metadata and ~6 bytes of hash table, all in fixed-size pages that never move
// (growing copies nothing but the hash table, and leaves no half-empty buffer behind).
// No hash is kept per path (it was 4 of those 12 bytes): a probe compares the length, then the
// bytes, and a rehash hashes the arena's bytes again.
//
// Lookups encode the key into a scratch buffer and compare bytes: no string is kept per path, and
// one is made only when a path is read back (paths(), pathOf()).

/** Slots per metadata page; path bytes per arena page. */
const SLOT_PAGE = 1024
const ARENA_PAGE = 64 * 1024
/** Per slot: arena reference (page << 16 | offset), byte length (DEAD: a free slot). */
const META = 2
const DEAD = 0xffffffff
/** Hash table cells: 0 empty, TOMB a removed entry, otherwise slot + 1. */
const TOMB = -1
const MIN_TABLE = 64
/** A path is at most this many UTF-8 bytes (Linux PATH_MAX is 4096): it must fit an arena page. */
export const MAX_PATH_BYTES = ARENA_PAGE - 1

export class PathTable {
  #meta: Uint32Array[] = []
  #arena: Buffer[] = []
  /** Where the next path's bytes go in the last arena page. */
  #arenaUsed = ARENA_PAGE
  /** Arena bytes of removed paths: compacted once they outweigh the live ones. */
  #garbage = 0
  #live = 0
  #table = new Int32Array(MIN_TABLE)
  /** Cells holding TOMB: they count towards the load, as they lengthen probes. */
  #tombs = 0
  #used = 0
  #free: number[] = []
  #scratch = Buffer.allocUnsafe(256)

  get size (): number { return this.#live }
  /** One past the highest slot ever handed out: slots are below this. */
  get slotLimit (): number { return this.#used }

  /** The slot of `path`, or -1. */
  slotOf (path: string): number {
    const n = this.#encode(path)
    const cell = this.#find(n, fnv1a(this.#scratch, 0, n))
    return cell < 0 ? -1 : (this.#table[cell] as number) - 1
  }

  /** The slot of `path`, added if it is new (`added` tells which). */
  insert (path: string): { slot: number, added: boolean } {
    const n = this.#encode(path)
    const hash = fnv1a(this.#scratch, 0, n)
    const found = this.#find(n, hash)
    if (found >= 0) return { slot: (this.#table[found] as number) - 1, added: false }
    if ((this.#live + this.#tombs + 1) * 4 > this.#table.length * 3) this.#rehash()
    const slot = this.#newSlot()
    const ref = this.#store(n)
    const m = this.#metaOf(slot)
    const o = (slot % SLOT_PAGE) * META
    m[o] = ref
    m[o + 1] = n
    const mask = this.#table.length - 1
    let i = hash & mask
    while ((this.#table[i] as number) > 0) i = (i + 1) & mask
    if (this.#table[i] === TOMB) this.#tombs--
    this.#table[i] = slot + 1
    this.#live++
    return { slot, added: true }
  }

  /** Removes `path`; its slot (or -1) is free for a later insert. */
  remove (path: string): number {
    const n = this.#encode(path)
    const cell = this.#find(n, fnv1a(this.#scratch, 0, n))
    if (cell < 0) return -1
    const slot = (this.#table[cell] as number) - 1
    this.#table[cell] = TOMB
    this.#tombs++
    const m = this.#metaOf(slot)
    const o = (slot % SLOT_PAGE) * META
    this.#garbage += m[o + 1] as number
    m[o + 1] = DEAD
    this.#free.push(slot)
    this.#live--
    if (this.#garbage > ARENA_PAGE * 16 && this.#garbage > this.#liveBytes()) this.#compact()
    return slot
  }

  /** The path in `slot`, or null if the slot is free. */
  pathOf (slot: number): string | null {
    if (slot < 0 || slot >= this.#used) return null
    const m = this.#metaOf(slot)
    const o = (slot % SLOT_PAGE) * META
    const len = m[o + 1] as number
    if (len === DEAD) return null
    const ref = m[o] as number
    const off = ref & 0xffff
    return (this.#arena[ref >>> 16] as Buffer).toString('utf8', off, off + len)
  }

  /** Live slots in slot order (insertion order until a slot is reused); safe while changing. */
  * slots (): IterableIterator<number> {
    for (let s = 0; s < this.#used; s++) {
      if ((this.#metaOf(s)[(s % SLOT_PAGE) * META + 1] as number) !== DEAD) yield s
    }
  }

  /**
   * Live slots whose path is `prefix` or below it (`prefix/…`; '' is every path), compared as bytes:
   * no string is made for the paths that do not match.
   */
  * slotsUnder (prefix: string): IterableIterator<number> {
    if (prefix === '') { yield * this.slots(); return }
    const want = Buffer.from(prefix, 'utf8')
    const n = want.length
    for (let s = 0; s < this.#used; s++) {
      const m = this.#metaOf(s)
      const o = (s % SLOT_PAGE) * META
      const len = m[o + 1] as number
      if (len === DEAD || len < n) continue
      const ref = m[o] as number
      const page = this.#arena[ref >>> 16] as Buffer
      const off = ref & 0xffff
      if (len > n && page[off + n] !== 0x2f) continue // '/'
      if (want.compare(page, off, off + n) === 0) yield s
    }
  }

  clear (): void {
    this.#meta = []
    this.#arena = []
    this.#arenaUsed = ARENA_PAGE
    this.#garbage = 0
    this.#live = 0
    this.#table = new Int32Array(MIN_TABLE)
    this.#tombs = 0
    this.#used = 0
    this.#free = []
  }

  /** Bytes held outside the JS heap's objects (for tests and diagnosis). */
  get footprint (): number {
    return this.#meta.length * SLOT_PAGE * META * 4 + this.#arena.length * ARENA_PAGE + this.#table.byteLength
  }

  #encode (path: string): number {
    // A UTF-8 byte is at most 3 per UTF-16 unit: grow the scratch buffer before writing.
    if (path.length * 3 > this.#scratch.length) this.#scratch = Buffer.allocUnsafe(Math.max(path.length * 3, this.#scratch.length * 2))
    const n = this.#scratch.write(path, 0, 'utf8')
    if (n > MAX_PATH_BYTES) throw new RangeError(`path of ${n} bytes is longer than ${MAX_PATH_BYTES}`)
    return n
  }

  /** The table cell holding the scratch buffer's first `n` bytes, or -1. */
  #find (n: number, hash: number): number {
    const t = this.#table
    const mask = t.length - 1
    for (let i = hash & mask; ; i = (i + 1) & mask) {
      const v = t[i] as number
      if (v === 0) return -1
      if (v === TOMB) continue
      const slot = v - 1
      const m = this.#metaOf(slot)
      const o = (slot % SLOT_PAGE) * META
      if (m[o + 1] !== n) continue
      const ref = m[o] as number
      if (sameBytes(this.#scratch, this.#arena[ref >>> 16] as Buffer, ref & 0xffff, n)) return i
    }
  }

  #newSlot (): number {
    const reused = this.#free.pop()
    if (reused !== undefined) return reused
    if (this.#used % SLOT_PAGE === 0) this.#meta.push(new Uint32Array(SLOT_PAGE * META))
    return this.#used++
  }

  #metaOf (slot: number): Uint32Array {
    return this.#meta[Math.floor(slot / SLOT_PAGE)] as Uint32Array
  }

  /** Copies the scratch buffer's first `n` bytes into the arena; returns the reference. */
  #store (n: number): number {
    if (this.#arenaUsed + n > ARENA_PAGE) {
      if (this.#arena.length > 0xffff) throw new RangeError('the path table is full (4 GiB of paths)')
      this.#arena.push(Buffer.allocUnsafeSlow(ARENA_PAGE))
      this.#arenaUsed = 0
    }
    const page = this.#arena.length - 1
    this.#scratch.copy(this.#arena[page] as Buffer, this.#arenaUsed, 0, n)
    const ref = (page << 16 | this.#arenaUsed) >>> 0
    this.#arenaUsed += n
    return ref
  }

  #liveBytes (): number {
    return this.#arena.length * ARENA_PAGE - (ARENA_PAGE - this.#arenaUsed) - this.#garbage
  }

  /** Doubles the table (or rebuilds it at its size when tombstones filled it). */
  #rehash (): void {
    const size = (this.#live + 1) * 2 > this.#table.length ? this.#table.length * 2 : this.#table.length
    const t = new Int32Array(size)
    const mask = size - 1
    for (const s of this.slots()) {
      const m = this.#metaOf(s)
      const o = (s % SLOT_PAGE) * META
      const ref = m[o] as number
      const off = ref & 0xffff
      let i = fnv1a(this.#arena[ref >>> 16] as Buffer, off, off + (m[o + 1] as number)) & mask
      while (t[i] !== 0) i = (i + 1) & mask
      t[i] = s + 1
    }
    this.#table = t
    this.#tombs = 0
  }

  /** Copies the live paths into new arena pages, dropping the bytes of removed ones. */
  #compact (): void {
    const old = this.#arena
    this.#arena = []
    this.#arenaUsed = ARENA_PAGE
    this.#garbage = 0
    for (const s of this.slots()) {
      const m = this.#metaOf(s)
      const o = (s % SLOT_PAGE) * META
      const ref = m[o] as number
      const len = m[o + 1] as number
      const off = ref & 0xffff
      if (this.#scratch.length < len) this.#scratch = Buffer.allocUnsafe(len)
      ;(old[ref >>> 16] as Buffer).copy(this.#scratch, 0, off, off + len)
      m[o] = this.#store(len)
    }
  }
}

/** FNV-1a over bytes `start` to `end`, as an unsigned 32-bit integer. */
function fnv1a (b: Buffer, start: number, end: number): number {
  let h = 0x811c9dc5
  for (let i = start; i < end; i++) h = Math.imul(h ^ (b[i] as number), 0x01000193)
  return h >>> 0
}

/** Shorter than this, paths are compared in a JS loop: cheaper than a call into Buffer.compare. */
const LOOP_COMPARE = 48

/** Whether `key`'s first `n` bytes are `page`'s `n` bytes at `off`. */
function sameBytes (key: Buffer, page: Buffer, off: number, n: number): boolean {
  if (n >= LOOP_COMPARE) return key.compare(page, off, off + n, 0, n) === 0
  for (let i = n - 1; i >= 0; i--) if (key[i] !== page[off + i]) return false
  return true
}
