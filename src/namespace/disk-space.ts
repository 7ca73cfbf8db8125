// Watches the free space where shoal keeps a namespace's state and drives. The drive store
// (RocksDB) swallows its own write errors during replication, so without this a full disk looks
// 'idle' while nothing arrives any more (measured: a 24 MiB tmpfs at 100 %, status idle, no log line).
import { statfs } from 'node:fs/promises'

/** Below this much free space the namespace reports ENOSPC. */
const LOW_SPACE_BYTES = 1 << 20
const CHECK_MS = 1000

export class DiskSpaceWatch {
  readonly #dir: string
  readonly #what: string
  /** Called with the error message when the disk fills up, with null when space is back. */
  readonly #onChange: (full: string | null, freeBytes: number) => void
  #timer: NodeJS.Timeout | null = null
  #full: string | null = null
  #stopped = false

  constructor (dir: string, what: string, onChange: (full: string | null, freeBytes: number) => void) {
    this.#dir = dir
    this.#what = what
    this.#onChange = onChange
  }

  /** The ENOSPC message while the disk is full, else null. */
  get full (): string | null { return this.#full }

  start (): void {
    if (this.#stopped || this.#timer !== null) return
    this.#timer = setTimeout(() => {
      this.#timer = null
      this.#check().catch(() => {}).finally(() => { this.start() })
    }, CHECK_MS)
    this.#timer.unref()
  }

  stop (): void {
    this.#stopped = true
    if (this.#timer !== null) clearTimeout(this.#timer)
    this.#timer = null
  }

  async #check (): Promise<void> {
    const fs = await statfs(this.#dir)
    const free = fs.bavail * fs.bsize
    if (free < LOW_SPACE_BYTES) {
      if (this.#full !== null) return
      this.#full = `ENOSPC: disk full (${Math.floor(free / 1024)} KiB free where shoal keeps ${this.#what}); nothing more can be received until space is freed`
      this.#onChange(this.#full, free)
    } else if (this.#full !== null) {
      this.#full = null
      this.#onChange(null, free)
    }
  }
}
