import type { Stat } from './types.js'

/** What a read ahead got: the bytes, whether the file ended there, and the file's stat taken before the read. */
export interface AheadData { data: Buffer, eof: boolean, st: Stat }

interface Ahead { offset: bigint, count: number, done: Promise<AheadData | null> }

/**
 * Reads ahead of a client that reads one file sequentially, one READ at a time (libnfs's nfs-cat,
 * cp): when a READ of `count` bytes ends where the next one will start, the next range is read
 * into a new buffer while the reply travels, so the next READ finds its bytes (one pool call
 * fewer, and the copy out of the page cache no longer in its way). At most one range per file,
 * and only while no other READ of that file is in flight (a client with many READs in flight,
 * like Linux, reads ahead itself).
 *
 * Never stale: a range is dropped on every write and truncation through NFS (`drop`), and used
 * only when a stat of the file taken when the READ arrives has the size, ctime and mtime of the
 * stat the previous READ took before the range was read (a change from outside NFS in between
 * moves them; as for any NFS server on Linux, within the file system's timestamp granularity).
 */
export class ReadAhead {
  readonly #ahead = new Map<string, Ahead>()
  readonly #inflight = new Map<string, number>()

  constructor (private readonly maxFiles = 16) {}

  /** A READ of key starts; returns the range read ahead for exactly (offset, count), if any. */
  begin (key: string, offset: bigint, count: number): Promise<AheadData | null> | null {
    this.#inflight.set(key, (this.#inflight.get(key) ?? 0) + 1)
    const a = this.#ahead.get(key)
    if (a === undefined) return null
    this.#ahead.delete(key)
    return a.offset === offset && a.count === count ? a.done : null
  }

  /** The READ is done; true when it was the file's only one in flight (then read ahead of it). */
  end (key: string): boolean {
    const n = (this.#inflight.get(key) ?? 1) - 1
    if (n === 0) this.#inflight.delete(key)
    else this.#inflight.set(key, n)
    return n === 0
  }

  /** Remembers a read ahead of (offset, count); the oldest file's goes when there are too many. */
  set (key: string, offset: bigint, count: number, done: Promise<AheadData | null>): void {
    this.#ahead.delete(key)
    if (this.#ahead.size >= this.maxFiles) {
      const oldest = this.#ahead.keys().next()
      if (oldest.done !== true) this.#ahead.delete(oldest.value)
    }
    this.#ahead.set(key, { offset, count, done })
  }

  /** The file changed (a write, a truncation) or went away: what was read ahead of it is not its content. */
  drop (key: string): void { this.#ahead.delete(key) }

  get size (): number { return this.#ahead.size }
}

/** Whether two stats of one file say it has not changed in between (size, ctime, mtime, inode). */
export function unchanged (a: Stat, b: Stat): boolean {
  return a.ino === b.ino && a.size === b.size && a.ctimeNs === b.ctimeNs && a.mtimeNs === b.mtimeNs
}
