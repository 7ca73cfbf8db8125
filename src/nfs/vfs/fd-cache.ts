import { constants } from 'node:fs'
import { closeQuietly, fstatFd, openFd } from './fs-calls.js'

/**
 * Open file descriptors kept between READ/WRITE calls (NFS is stateless per call; opening the file
 * for every READ would double the syscalls). Keyed by (export, inode), so a rename keeps the
 * descriptor; opened with O_NOFOLLOW; idle ones close after `idleMs`; at most `max` stay open.
 *
 * Descriptors are plain numbers (no FileHandle object each); every call on them goes through the
 * thread pool (fs-calls.ts). A number is reused by the kernel once closed, so a descriptor is never
 * closed while a call uses it (`users`).
 */
interface Entry { fd: number, writable: boolean, users: number, last: number, kind: Kind }

/** What the descriptor is open on: only regular files are read and written. */
export type Kind = 'file' | 'dir' | 'other'

/** Closes descriptors nothing uses any more, several in one round trip (an fs-worker job). */
export type CloseMany = (fds: number[]) => Promise<void>

/**
 * With `closeMany`, descriptors let go of are closed this many at a time, or CLOSE_DELAY_MS after
 * the first: a create loop lets go of one per file (the cache is full), and a thread-pool close
 * each cost two thread wake-ups per file (bench:nfs creates, 2,000 files: ~15% of the server's CPU).
 */
const CLOSE_BATCH = 32
const CLOSE_DELAY_MS = 100

export class FdCache {
  readonly #entries = new Map<string, Entry>()
  readonly #closing = new Set<Promise<void>>()
  readonly #timer: NodeJS.Timeout
  /** let go of, not closed yet (with `closeMany`) */
  #toClose: number[] = []
  #closeTimer: NodeJS.Timeout | null = null

  constructor (private readonly max = 256, private readonly idleMs = 5000, private readonly closeMany?: CloseMany) {
    this.#timer = setInterval(() => this.#sweep(), Math.max(250, idleMs / 2))
    this.#timer.unref()
  }

  /** Runs fn with an open descriptor for the file at abs; a read-only one is upgraded when writing. */
  async with<T> (key: string, abs: string, write: boolean, fn: (fd: number, kind: Kind) => Promise<T>): Promise<T> {
    let e = this.#entries.get(key)
    if (!e || (write && !e.writable)) {
      // O_NONBLOCK: opening a FIFO must never wait for its other end (it would hold a pool thread)
      const fd = await openFd(abs, (write ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      let kind: Kind
      try {
        const st = await fstatFd(fd)
        kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other'
      } catch (err) { this.#close(fd); throw err }
      // Another call may have opened the same file meanwhile: keep one descriptor.
      const again = this.#entries.get(key)
      if (again !== undefined && (again.writable || !write)) {
        this.#close(fd)
        e = again
      } else {
        if (again !== undefined) this.#drop(key, again)
        e = { fd, writable: write, users: 0, last: Date.now(), kind }
        this.#entries.set(key, e)
      }
    } else {
      this.#entries.delete(key) // most recently used last: eviction takes the first idle ones
      this.#entries.set(key, e)
    }
    e.users++ // before evicting: an entry in use is never closed under its user
    this.#evict()
    try { return await fn(e.fd, e.kind) } finally {
      e.users--
      e.last = Date.now()
      if (e.users === 0 && this.#entries.get(key) !== e) this.#close(e.fd)
    }
  }

  /** Keeps a descriptor opened elsewhere (a file just created, O_RDWR) for the WRITEs that follow. */
  adopt (key: string, fd: number, kind: Kind): void {
    const old = this.#entries.get(key)
    if (old) this.#drop(key, old)
    this.#entries.set(key, { fd, writable: true, users: 0, last: Date.now(), kind })
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
    await this.settled()
  }

  /** Resolves once every descriptor this cache let go of is closed. */
  async settled (): Promise<void> {
    this.#flushCloses()
    await Promise.all(this.#closing)
  }

  #close (fd: number): void {
    if (this.closeMany) {
      this.#toClose.push(fd)
      if (this.#toClose.length >= CLOSE_BATCH) this.#flushCloses()
      else if (this.#closeTimer === null) {
        this.#closeTimer = setTimeout(() => { this.#flushCloses() }, CLOSE_DELAY_MS)
        this.#closeTimer.unref()
      }
      return
    }
    this.#track(closeQuietly(fd))
  }

  #flushCloses (): void {
    if (this.#closeTimer !== null) clearTimeout(this.#closeTimer)
    this.#closeTimer = null
    const fds = this.#toClose
    if (fds.length === 0 || !this.closeMany) return
    this.#toClose = []
    // a failed batch is not closed again here: a number closed once may belong to another file by now
    this.#track(this.closeMany(fds).catch(() => {}))
  }

  #track (closing: Promise<void>): void {
    const p = closing.finally(() => this.#closing.delete(p))
    this.#closing.add(p)
  }

  #drop (key: string, e: Entry): void {
    this.#entries.delete(key)
    if (e.users === 0) this.#close(e.fd)
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

