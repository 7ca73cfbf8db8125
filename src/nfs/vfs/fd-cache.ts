import { closeSync, constants, fdatasync, fdatasyncSync, fstatSync, ftruncate, openSync, read, readSync, write } from 'node:fs'

/**
 * Open file descriptors kept between READ/WRITE calls (NFS is stateless per call; opening the file
 * for every READ would double the syscalls). Keyed by (export, inode), so a rename keeps the
 * descriptor; opened with O_NOFOLLOW; idle ones close after `idleMs`; at most `max` stay open.
 *
 * Descriptors are plain numbers: open, fstat and close run on the event loop (metadata calls that
 * cost a few µs, against 25–300 µs for a hop through the thread pool on a busy machine), while data
 * calls (pread, pwrite, fdatasync, ftruncate) go to the pool. A number is reused by the kernel once
 * closed, so a descriptor is never closed while a call uses it (`users`).
 */
interface Entry {
  fd: number
  writable: boolean
  users: number
  last: number
  kind: Kind
  /** bytes written through this descriptor since its last fdatasync; Infinity: unknown (opened on a file others wrote) */
  dirty: number
  /** where the last read through this descriptor ended (-1: none yet) */
  next: number
}

/** What a caller may know of a descriptor besides its number. */
export interface FdInfo { readonly fd: number, readonly kind: Kind, dirty: number, next: number }

/** What the descriptor is open on: only regular files are read and written. */
export type Kind = 'file' | 'dir' | 'other'

export class FdCache {
  readonly #entries = new Map<string, Entry>()
  readonly #timer: NodeJS.Timeout

  constructor (private readonly max = 256, private readonly idleMs = 5000) {
    this.#timer = setInterval(() => this.#sweep(), Math.max(250, idleMs / 2))
    this.#timer.unref()
  }

  /** Runs fn with an open descriptor for the file at abs; a read-only one is upgraded when writing. */
  async with<T> (key: string, abs: string, write: boolean, fn: (fd: number, kind: Kind, info: FdInfo) => Promise<T>): Promise<T> {
    let e = this.#entries.get(key)
    if (!e || (write && !e.writable)) {
      // O_NONBLOCK: opening a FIFO must never wait for its other end
      const fd = openSync(abs, (write ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      let kind: Kind
      try {
        const st = fstatSync(fd)
        kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other'
      } catch (err) { closeSync(fd); throw err }
      if (e) this.#drop(key, e)
      e = { fd, writable: write, users: 0, last: Date.now(), kind, dirty: Infinity, next: -1 }
      this.#entries.set(key, e)
    } else {
      this.#entries.delete(key) // most recently used last: eviction takes the first idle ones
      this.#entries.set(key, e)
    }
    e.users++ // before evicting: an entry in use is never closed under its user
    this.#evict()
    try { return await fn(e.fd, e.kind, e) } finally {
      e.users--
      e.last = Date.now()
      if (e.users === 0 && this.#entries.get(key) !== e) closeQuietly(e.fd)
    }
  }

  /** Keeps a descriptor opened elsewhere (a file just created, O_RDWR) for the WRITEs that follow. */
  adopt (key: string, fd: number, kind: Kind): void {
    const old = this.#entries.get(key)
    if (old) this.#drop(key, old)
    this.#entries.set(key, { fd, writable: true, users: 0, last: Date.now(), kind, dirty: 0, next: -1 })
    this.#evict()
  }

  /** Forget a file (removed): its descriptor closes once no call uses it. */
  forget (key: string): void {
    const e = this.#entries.get(key)
    if (e) this.#drop(key, e)
  }

  get size (): number { return this.#entries.size }

  async close (): Promise<void> {
    clearInterval(this.#timer)
    for (const [k, e] of [...this.#entries]) this.#drop(k, e) // in use: closed by its last user
  }

  #drop (key: string, e: Entry): void {
    this.#entries.delete(key)
    if (e.users === 0) closeQuietly(e.fd)
  }

  #evict (): void {
    // the map is in order of use, so the first idle entries are the least recently used
    let over = this.#entries.size - this.max
    if (over <= 0) return
    for (const [k, e] of this.#entries) {
      if (e.users !== 0) continue
      this.#drop(k, e)
      if (--over === 0) break
    }
  }

  #sweep (): void {
    const cutoff = Date.now() - this.idleMs
    for (const [k, e] of this.#entries) if (e.users === 0 && e.last < cutoff) this.#drop(k, e)
  }
}

export function closeQuietly (fd: number): void { try { closeSync(fd) } catch {} }

/** An fdatasync this small (bytes we wrote since the last one) runs in place when the pool is idle. */
export const INLINE_SYNC_BYTES = 256 * 1024

/**
 * fdatasync of what was written through this descriptor (COMMIT, FILE_SYNC writes): always done
 * before the reply. When no other data call waits on the pool and we wrote little since the last
 * sync, it runs on the event loop: the loop then waits for one journal commit (~0.2–1 ms here)
 * with nothing else to do, and saves the two thread hand-offs that cost as much again on a busy
 * machine. Anything bigger, or unknown (a descriptor opened on a file others wrote), goes to the pool.
 */
export async function syncData (info: FdInfo): Promise<void> {
  const was = info.dirty
  info.dirty = 0 // writes made while this sync runs count towards the next one
  try {
    if (pooled === 0 && was <= INLINE_SYNC_BYTES) fdatasyncSync(info.fd)
    else await pooledCall<number>((cb) => fdatasync(info.fd, (err) => cb(err, 0)))
  } catch (err) { info.dirty = Infinity; throw err }
}

// Data calls on a descriptor, through the thread pool (they may wait for the disk).

let pooled = 0

function pooledCall<T> (start: (cb: (err: NodeJS.ErrnoException | null, v: T) => void) => void): Promise<T> {
  pooled++
  return new Promise<T>((resolve, reject) => start((err, v) => { pooled--; if (err) reject(err); else resolve(v) }))
}

/**
 * pread. In place when no other data call waits on the pool and the read continues the previous
 * one on this descriptor: the kernel's readahead has then most likely brought the data into the
 * page cache, and the call is a copy of at most one READ (1 MiB, ~0.1–0.4 ms), cheaper than the
 * two thread hand-offs of the pool (a 512 MiB sequential read went from ~440 to ~700 MiB/s here).
 * A first or random read may wait for the disk: it goes to the pool.
 */
export async function readData (info: FdInfo, buf: Buffer, len: number, pos: number): Promise<number> {
  const n = pooled === 0 && pos === info.next ? readSync(info.fd, buf, 0, len, pos) : await pread(info.fd, buf, len, pos)
  info.next = pos + n
  return n
}

export function pread (fd: number, buf: Buffer, len: number, pos: number): Promise<number> {
  return pooledCall((cb) => read(fd, buf, 0, len, pos, cb))
}

export function pwrite (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
  return pooledCall((cb) => write(fd, buf, off, len, pos, cb))
}

export function truncate (fd: number, len: number): Promise<void> {
  return pooledCall<number>((cb) => ftruncate(fd, len, (err) => cb(err, 0))).then(() => {})
}
