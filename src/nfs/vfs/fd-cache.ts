import { constants } from 'node:fs'
import { open, type FileHandle } from 'node:fs/promises'

/**
 * Open file descriptors kept between READ/WRITE calls (NFS is stateless per call; opening the file
 * for every 1 MiB READ would double the syscalls). Keyed by (export, inode), so a rename keeps the
 * descriptor; opened with O_NOFOLLOW; idle ones close after `idleMs`; at most `max` stay open.
 */
interface Entry { fh: FileHandle, writable: boolean, users: number, last: number, kind: Kind }

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
  async with<T> (key: string, abs: string, write: boolean, fn: (fh: FileHandle, kind: Kind) => Promise<T>): Promise<T> {
    let e = this.#entries.get(key)
    if (!e || (write && !e.writable)) {
      // O_NONBLOCK: opening a FIFO must never wait for its other end (it would hold a pool thread)
      const fh = await open(abs, (write ? constants.O_RDWR : constants.O_RDONLY) | constants.O_NOFOLLOW | constants.O_NONBLOCK)
      let kind: Kind
      try {
        const st = await fh.stat()
        kind = st.isFile() ? 'file' : st.isDirectory() ? 'dir' : 'other'
      } catch (err) { await fh.close(); throw err }
      const again = this.#entries.get(key)
      if (again && (again.writable || !write)) { void fh.close(); e = again } else {
        if (again) this.#drop(key, again)
        e = { fh, writable: write, users: 0, last: Date.now(), kind }
        this.#entries.set(key, e)
      }
    }
    e.users++ // before evicting: an entry in use is never closed under its user
    this.#evict()
    try { return await fn(e.fh, e.kind) } finally {
      e.users--
      e.last = Date.now()
      if (e.users === 0 && this.#entries.get(key) !== e) void e.fh.close().catch(() => {})
    }
  }

  /** Keeps a descriptor opened elsewhere (a file just created, O_RDWR) for the WRITEs that follow. */
  adopt (key: string, fh: FileHandle, kind: Kind): void {
    const old = this.#entries.get(key)
    if (old) this.#drop(key, old)
    this.#entries.set(key, { fh, writable: true, users: 0, last: Date.now(), kind })
    this.#evict()
  }

  /** Forget a file (removed): its descriptor closes once no call uses it. */
  forget (key: string): void {
    const e = this.#entries.get(key)
    if (e) this.#drop(key, e)
  }

  async close (): Promise<void> {
    clearInterval(this.#timer)
    const all = [...this.#entries.values()]
    this.#entries.clear()
    await Promise.all(all.map((e) => e.fh.close().catch(() => {})))
  }

  #drop (key: string, e: Entry): void {
    this.#entries.delete(key)
    if (e.users === 0) void e.fh.close().catch(() => {})
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
