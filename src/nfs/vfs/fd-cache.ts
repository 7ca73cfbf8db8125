import { closeSync, constants, fdatasync, fstatSync, ftruncate, openSync, read, write } from 'node:fs'

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
interface Entry { fd: number, writable: boolean, users: number, last: number, kind: Kind }

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
  async with<T> (key: string, abs: string, write: boolean, fn: (fd: number, kind: Kind) => Promise<T>): Promise<T> {
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
      e = { fd, writable: write, users: 0, last: Date.now(), kind }
      this.#entries.set(key, e)
    }
    e.users++ // before evicting: an entry in use is never closed under its user
    this.#evict()
    try { return await fn(e.fd, e.kind) } finally {
      e.users--
      e.last = Date.now()
      if (e.users === 0 && this.#entries.get(key) !== e) closeQuietly(e.fd)
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
  }

  #drop (key: string, e: Entry): void {
    this.#entries.delete(key)
    if (e.users === 0) closeQuietly(e.fd)
  }

  #evict (): void {
    if (this.#entries.size <= this.max) return
    const idle = [...this.#entries].filter(([, e]) => e.users === 0).sort((a, b) => a[1].last - b[1].last)
    for (const [k, e] of idle.slice(0, this.#entries.size - this.max)) this.#drop(k, e)
  }

  #sweep (): void {
    const cutoff = Date.now() - this.idleMs
    for (const [k, e] of this.#entries) if (e.users === 0 && e.last < cutoff) this.#drop(k, e)
  }
}

export function closeQuietly (fd: number): void { try { closeSync(fd) } catch {} }

// Data calls on a descriptor, through the thread pool (they may wait for the disk).

export function pread (fd: number, buf: Buffer, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => read(fd, buf, 0, len, pos, (err, n) => { if (err) reject(err); else resolve(n) }))
}

export function pwrite (fd: number, buf: Buffer, off: number, len: number, pos: number): Promise<number> {
  return new Promise((resolve, reject) => write(fd, buf, off, len, pos, (err, n) => { if (err) reject(err); else resolve(n) }))
}

export function datasync (fd: number): Promise<void> {
  return new Promise((resolve, reject) => fdatasync(fd, (err) => { if (err) reject(err); else resolve() }))
}

export function truncate (fd: number, len: number): Promise<void> {
  return new Promise((resolve, reject) => ftruncate(fd, len, (err) => { if (err) reject(err); else resolve() }))
}
